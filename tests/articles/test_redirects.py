"""A published page's old address answers 301 to its current one, and never to a draft."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import ContentRedirect, Status

from .conftest import make_article, make_condition, make_service
from .test_admin import _article_form_data

pytestmark = pytest.mark.django_db


def _rename(item, slug):
    item.slug = slug
    return services.content_save(item=item, user=None, now=timezone.now())


def test_changing_a_published_slug_makes_the_old_address_answer_301(client, clinic):
    article = make_article(slug="heel-pain-basics")
    _rename(article, "heel-pain-explained")
    response = client.get("/articles/heel-pain-basics/")
    assert response.status_code == 301
    assert response["Location"] == "/articles/heel-pain-explained/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("make", [make_service, make_condition], ids=["service", "condition"])
def test_service_and_condition_pages_redirect_too(client, clinic, make):
    page = make()
    old = page.get_absolute_url()
    _rename(page, "a-new-address")
    response = client.get(old)
    assert response.status_code == 301 and response["Location"] == page.get_absolute_url()


def test_renaming_twice_sends_both_old_addresses_straight_to_the_newest(client, clinic):
    article = make_article(slug="first")
    _rename(article, "second")
    _rename(article, "third")
    for old in ("/articles/first/", "/articles/second/"):
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, "/articles/third/")


def test_renaming_back_to_an_old_address_drops_its_redirect(client, clinic):
    article = make_article(slug="first")
    _rename(article, "second")
    _rename(article, "first")
    assert client.get("/articles/first/").status_code == 200
    assert client.get("/articles/second/")["Location"] == "/articles/first/"
    assert not ContentRedirect.objects.filter(old_path="/articles/first/").exists()


def test_an_old_address_of_a_page_now_a_draft_is_not_found(client, clinic):
    article = make_article(slug="old-name")
    _rename(article, "new-name")
    services.content_unpublish(item=article, now=timezone.now())
    assert client.get("/articles/old-name/").status_code == 404


def test_a_draft_renamed_leaves_no_redirect(client, clinic):
    draft = make_article(slug="draft-name", status=Status.DRAFT, published_at=None)
    _rename(draft, "better-draft-name")
    assert not ContentRedirect.objects.exists()


def test_a_scheduled_page_renamed_leaves_no_redirect(clinic):
    later = make_article(slug="later", published_at=timezone.now() + timedelta(days=2))
    _rename(later, "later-still")
    assert not ContentRedirect.objects.exists()


def test_renaming_in_admin_redirects_the_old_address(admin_client, client, clinic):
    article = make_article(slug="old-admin-name")
    data = _article_form_data(
        title=article.title,
        slug="new-admin-name",
        status=Status.PUBLISHED,
        published_at_0=article.published_at.date().isoformat(),
        published_at_1="00:00:00",
    )
    admin_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    response = client.get("/articles/old-admin-name/")
    assert (response.status_code, response["Location"]) == (301, "/articles/new-admin-name/")


def test_sitemap_and_feed_show_only_the_current_address(client, clinic):
    article = make_article(slug="was-here")
    _rename(article, "is-here")
    sitemap = client.get("/sitemap.xml").content.decode()
    feed = client.get(reverse("articles:feed")).content.decode()
    for text in (sitemap, feed):
        assert "/articles/is-here/" in text
        assert "/articles/was-here/" not in text


def test_unknown_addresses_are_still_not_found(client, clinic):
    assert client.get("/articles/never-existed/").status_code == 404
