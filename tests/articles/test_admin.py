from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Status

from .conftest import make_article, make_condition, make_service, make_topic

pytestmark = pytest.mark.django_db


def _article_form_data(**overrides):
    data = {
        "title": "New article",
        "slug": "new-article",
        "summary": "A summary.",
        "body": "Some **bold** words.",
        "status": Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
        "seo_title": "",
        "seo_description": "",
        "last_reviewed": "",
    }
    data.update(overrides)
    return data


def test_admin_lists_filter_by_status_topic_and_overdue_review(admin_client, clinic):
    today = timezone.localdate()
    knees = make_topic(name="Knees")
    make_article(
        title="Draft about pain",
        status=Status.DRAFT,
        published_at=None,
        last_reviewed=today - timedelta(days=30),
    )
    make_article(title="Stale shoulder", last_reviewed=today - timedelta(days=400), topics=[knees])
    make_article(title="Fresh knee", last_reviewed=today - timedelta(days=10), topics=[knees])
    make_article(title="Never reviewed", last_reviewed=None)
    url = reverse("admin:articles_article_changelist")

    def rows(query: str) -> set[str]:
        response = admin_client.get(url + query)
        assert response.status_code == 200
        titles = {article.title for article in response.context["cl"].result_list}
        body = response.content.decode()
        assert all(f">{title}</a>" in body for title in titles)  # rendered as rows
        return titles

    everything = {"Draft about pain", "Stale shoulder", "Fresh knee", "Never reviewed"}
    assert rows("") == everything
    assert rows("?status__exact=draft") == {"Draft about pain"}
    assert rows("?status__exact=published") == everything - {"Draft about pain"}
    assert rows("?review=overdue") == {"Stale shoulder", "Never reviewed"}
    assert rows("?review=current") == {"Draft about pain", "Fresh knee"}
    assert rows(f"?topics__id__exact={knees.pk}") == {"Stale shoulder", "Fresh knee"}
    assert rows("?q=pain") == {"Draft about pain"}


def test_overdue_review_filter_lists_only_stale_articles(admin_client, clinic):
    today = timezone.localdate()
    stale = make_article(title="Stale one", last_reviewed=today - timedelta(days=400))
    never = make_article(title="Never reviewed", last_reviewed=None)
    fresh = make_article(title="Fresh one", last_reviewed=today - timedelta(days=30))
    response = admin_client.get(reverse("admin:articles_article_changelist") + "?review=overdue")
    shown = set(response.context["cl"].queryset)
    assert {stale, never} <= shown
    assert fresh not in shown


def test_publishing_without_a_date_shows_an_error_next_to_the_field(admin_client, clinic):
    response = admin_client.post(
        reverse("admin:articles_article_add"), _article_form_data(status=Status.PUBLISHED)
    )
    assert response.status_code == 200
    assert "published_at" in response.context["adminform"].form.errors
    assert not Article.objects.exists()


def test_a_huge_body_shows_an_error_next_to_the_field(admin_client, clinic):
    response = admin_client.post(
        reverse("admin:articles_article_add"), _article_form_data(body="x" * 70_000)
    )
    assert "body" in response.context["adminform"].form.errors


def test_staff_preview_shows_a_draft_with_the_public_template(admin_client, client, clinic):
    draft = make_article(title="Coming soon", status=Status.DRAFT, published_at=None)
    url = reverse("articles:preview", kwargs={"kind": "article", "slug": draft.slug})
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "articles/article_detail.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert "Coming soon" in body and "Staff preview" in body
    assert "no-cache" in response["Cache-Control"]
    assert client.get(url).status_code == 302  # the public is sent to log in


@pytest.mark.parametrize(
    ("kind", "make", "template"),
    [
        ("service", make_service, "articles/service_detail.html"),
        ("condition", make_condition, "articles/condition_detail.html"),
    ],
)
def test_preview_works_for_service_and_condition_pages(admin_client, clinic, kind, make, template):
    draft = make(title=f"Unreleased {kind} page", status=Status.DRAFT, published_at=None)
    url = reverse("articles:preview", kwargs={"kind": kind, "slug": draft.slug})

    response = admin_client.get(url)

    assert response.status_code == 200
    assert template in [t.name for t in response.templates]
    body = response.content.decode()
    assert f'<h1 id="{kind}-title">Unreleased {kind} page</h1>' in body
    assert "Staff preview" in body
    assert "no-cache" in response["Cache-Control"]


def test_preview_of_an_unknown_kind_of_page_is_not_found(admin_client, clinic):
    service = make_service(status=Status.DRAFT, published_at=None)
    bad = reverse("articles:preview", kwargs={"kind": "nonsense", "slug": service.slug})
    assert admin_client.get(bad).status_code == 404


def test_view_on_site_opens_the_preview_for_drafts_and_the_page_when_public(admin_client, clinic):
    draft = make_article(status=Status.DRAFT, published_at=None)
    live = make_article()
    from articles.admin import ArticleAdmin

    model_admin = ArticleAdmin(Article, None)
    assert model_admin.view_on_site(draft) == reverse(
        "articles:preview", kwargs={"kind": "article", "slug": draft.slug}
    )
    assert model_admin.view_on_site(live) == live.get_absolute_url()


def test_editing_in_admin_shows_on_the_public_page_at_once(
    admin_client, client, clinic, django_capture_on_commit_callbacks
):
    article = make_article(title="Old title")
    client.get(article.get_absolute_url())  # now cached
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    data = _article_form_data(
        title="New title",
        slug=article.slug,
        status=Status.PUBLISHED,
        published_at_0=article.published_at.date().isoformat(),
        published_at_1="00:00:00",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:articles_article_change", args=[article.pk]), data
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert "New title" in client.get(article.get_absolute_url()).content.decode()


def test_publish_action_publishes_and_invalidates_the_cache(
    admin_client, client, clinic, django_capture_on_commit_callbacks
):
    draft = make_article(title="Fresh news", status=Status.DRAFT, published_at=None)
    client.get(reverse("articles:article_list"))  # cached without the draft
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:articles_article_changelist"),
            {"action": "publish_selected", "_selected_action": [draft.pk]},
        )
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and draft.published_at is not None
    assert "Fresh news" in client.get(reverse("articles:article_list")).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "x" * 5000, "Ensure this value has at most"),
        ("title", "Calf\x00care", "Null characters are not allowed."),
        ("body", "Rest.\x00", "Null characters are not allowed."),
        ("body", "Rest the calf.\r\n" * 4100, "is 61499 characters long; keep it under 60000"),
        ("published_at_0", "99999-99-99", "Enter a valid date."),
    ],
)
def test_junk_in_the_article_admin_gets_a_message_and_changes_nothing(
    admin_client, clinic, field, value, message
):
    article = make_article(title="Calf care", body="Rest the calf.")
    data = _article_form_data(title="Calf care", slug=article.slug, body="Rest the calf.")

    response = admin_client.post(
        reverse("admin:articles_article_change", args=[article.pk]), {**data, field: value}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    article.refresh_from_db()
    assert (article.title, article.body) == ("Calf care", "Rest the calf.")
