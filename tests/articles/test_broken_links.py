"""The link checker lists internal links in published content that lead nowhere."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.broken_links import broken_links, internal_path
from articles.models import Status

from .conftest import make_article, make_condition, make_service

pytestmark = pytest.mark.django_db

OWN = {"127.0.0.1:8000", "localhost"}


def test_a_deliberately_broken_internal_link_is_found_with_its_page(clinic):
    good = make_article(slug="good-one")
    broken_page = make_article(
        title="Heel pain at night",
        body=f"See [the good one]({good.get_absolute_url()}) and [this](/articles/gone-away/).",
    )
    found = broken_links(now=timezone.now())
    assert [(link.page, link.url) for link in found] == [(broken_page, "/articles/gone-away/")]
    assert found[0].reason == "No published article has this address."


def test_links_to_drafts_future_pages_and_unknown_paths_are_broken(clinic):
    make_article(slug="a-draft", status=Status.DRAFT, published_at=None)
    make_service(slug="soon", published_at=timezone.now() + timedelta(days=1))
    condition = make_condition(
        overview="[draft](/articles/a-draft/) [soon](/services/soon/) [junk](/no/such/page/)"
    )
    found = broken_links(now=timezone.now())
    assert {link.url for link in found} == {
        "/articles/a-draft/",
        "/services/soon/",
        "/no/such/page/",
    }
    assert {link.page for link in found} == {condition}
    assert {link.field for link in found} == {"overview"}


def test_working_links_of_every_kind_are_not_listed(clinic):
    service = make_service(slug="dry-needling-page")
    old = make_article(slug="old-name")
    old.slug = "new-name"
    services.content_save(item=old, user=None, now=timezone.now())
    make_article(
        body=(
            f"[service]({service.get_absolute_url()}) [list](/articles/) [book](/book/)"
            " [old address that redirects](/articles/old-name/)"
            " [absolute](http://127.0.0.1:8000/services/) [elsewhere](https://example.org/x/)"
            " [mail](mailto:desk@example.com) [anchor](#top)"
        )
    )
    assert broken_links(now=timezone.now()) == []


def test_drafts_are_not_checked(clinic):
    make_article(status=Status.DRAFT, published_at=None, body="[x](/articles/missing/)")
    assert broken_links(now=timezone.now()) == []


@pytest.mark.parametrize(
    ("href", "path"),
    [
        ("/articles/x/", "/articles/x/"),
        ("http://localhost/services/?a=1", "/services/"),
        ("https://example.org/articles/x/", None),
        ("//example.org/x", None),
        ("mailto:a@example.com", None),
        ("#section", None),
    ],
)
def test_internal_path_knows_our_own_links(href, path):
    assert internal_path(href, own_hosts=OWN) == path


def test_command_lists_broken_links_and_fails(clinic):
    make_article(title="Neck pain", body="[gone](/conditions/gone/)")
    out = StringIO()
    with pytest.raises(CommandError, match="1 broken internal link"):
        call_command("check_links", stdout=out)
    assert "Neck pain" in out.getvalue() and "/conditions/gone/" in out.getvalue()


def test_command_succeeds_when_every_link_works(clinic):
    make_article(body="[articles](/articles/)")
    out = StringIO()
    call_command("check_links", stdout=out)
    assert "Every internal link leads to a page." in out.getvalue()


def test_admin_shows_the_same_list(admin_client, clinic):
    make_article(title="Back pain", body="[gone](/articles/gone/)")
    page = admin_client.get(reverse("admin:articles_broken_links")).content.decode()
    assert "Back pain" in page and "/articles/gone/" in page
    changelist = admin_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert reverse("admin:articles_broken_links") in changelist


def test_link_check_costs_the_same_queries_for_more_pages(clinic, django_assert_max_num_queries):
    for _ in range(3):
        make_article(body="[gone](/articles/gone/)")
    with django_assert_max_num_queries(20) as few:
        broken_links(now=timezone.now())
    for _ in range(20):
        make_article(body="[gone](/articles/gone/)")
        make_service(what_it_is="[gone](/services/gone/)")
    with django_assert_max_num_queries(len(few)):
        assert len(broken_links(now=timezone.now())) == 43


def test_the_demo_content_has_no_broken_internal_links(content):
    assert broken_links(now=timezone.now()) == []
