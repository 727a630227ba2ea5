"""The admin's live preview: the public pipeline's HTML, for staff only, behind CSRF."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from articles.markdown import markdown_warnings, render_markdown
from articles.models import MAX_BODY_CHARS

pytestmark = pytest.mark.django_db

URL = reverse("admin:articles_article_markdown_preview")
TEXT = "## Warm-up\n\nA **brisk** walk.<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>"


def _staff(username, *perms):
    user = get_user_model().objects.create_user(username, password="pw-12345", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=perms))
    return user


def test_staff_get_the_same_clean_html_as_the_public_page(admin_client):
    response = admin_client.post(URL, {"text": TEXT})
    assert response.status_code == 200
    result = response.json()
    assert result["html"] == str(render_markdown(TEXT))
    assert "<strong>brisk</strong>" in result["html"]
    assert "script" not in result["html"] and "onerror" not in result["html"]
    assert result["reading_minutes"] == 1
    assert "no-store" in response["Cache-Control"]


def test_preview_reports_reading_time_and_warnings(admin_client):
    text = "# Big title\n\n#### Too deep\n\n" + "word " * 450 + "\n\n![](/static/img/favicon.svg)"
    result = admin_client.post(URL, {"text": text}).json()
    assert result["reading_minutes"] == 3
    assert len(result["warnings"]) == 3
    assert "level-1 heading" in result["warnings"][0]
    assert "level-4 heading follows a level-1" in result["warnings"][1]
    assert "1 image(s) without alt text" in result["warnings"][2]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("## A\n\n### B\n\n## C\n\n### D", 0),
        ("## A\n\n#### B", 1),
        ("### A", 1),
        ("![A described knee](/x.png)", 0),
        ('<img src="/x.png" alt="  ">', 1),
    ],
)
def test_warnings_for_skipped_levels_and_missing_alt_text(text, count):
    assert len(markdown_warnings(text)) == count


def test_anonymous_visitors_are_sent_to_log_in_and_get_no_preview(client):
    response = client.post(URL, {"text": "## Hello"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_logged_in_people_who_are_not_staff_get_no_preview(client):
    person = get_user_model().objects.create_user("patient", password="pw-12345")
    client.force_login(person)
    response = client.post(URL, {"text": "## Hello"})
    assert response.status_code == 302 and "Hello" not in response.content.decode()


def test_staff_who_cannot_edit_articles_are_refused(client):
    client.force_login(_staff("viewer", "view_article"))
    assert client.post(URL, {"text": "## Hello"}).status_code == 403
    client.force_login(_staff("writer", "change_article"))
    assert client.post(URL, {"text": "## Hello"}).status_code == 200


def test_a_post_without_the_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_superuser("boss", "b@example.com", "pw"))
    assert client.post(URL, {"text": "## Hello"}).status_code == 403
    token_page = client.get(reverse("admin:articles_article_add"))
    token = token_page.cookies["csrftoken"].value
    ok = client.post(URL, {"text": "## Hello"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200


def test_get_is_not_allowed(admin_client):
    assert admin_client.get(URL).status_code == 405


def test_too_long_text_gets_a_clear_message(admin_client):
    response = admin_client.post(URL, {"text": "a" * (MAX_BODY_CHARS + 1)})
    assert response.status_code == 400
    assert "too long to preview" in response.json()["error"]


@pytest.mark.parametrize(
    ("url_name", "field"),
    [
        ("admin:articles_article_add", "body"),
        ("admin:articles_servicepage_add", "what_it_is"),
        ("admin:articles_conditionpage_add", "overview"),
    ],
)
def test_markdown_fields_carry_the_preview_address_and_the_script(admin_client, url_name, field):
    page = admin_client.get(reverse(url_name)).content.decode()
    endpoint = url_name.replace("_add", "_markdown_preview")
    assert f'data-markdown-preview="{reverse(endpoint)}"' in page
    assert f'name="{field}"' in page
    assert "js/admin-markdown-preview" in page
