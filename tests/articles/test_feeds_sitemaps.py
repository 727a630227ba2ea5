from xml.etree import ElementTree

import pytest
from django.urls import reverse

from articles.models import Status

from .conftest import make_article, make_condition, make_service

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def draft(clinic):
    return make_article(title="Draft not for anyone", slug="draft-article", status=Status.DRAFT)


def test_rss_feed_parses_and_lists_published_articles_only(client, content, draft):
    response = client.get(reverse("articles:feed"))
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314
    titles = [item.findtext("title") for item in root.iter("item")]
    links = [item.findtext("link") for item in root.iter("item")]
    assert content.title in titles
    assert draft.title not in titles
    assert all("draft-article" not in link for link in links)


def test_sitemap_parses_and_covers_every_public_page_but_no_draft(client, content, draft):
    hidden_service = make_service(slug="hidden-service", status=Status.DRAFT, published_at=None)
    hidden_condition = make_condition(slug="hidden-cond", status=Status.DRAFT, published_at=None)
    root = ElementTree.fromstring(client.get(reverse("sitemap")).content)  # noqa: S314
    locations = {
        loc.text.removeprefix("http://testserver") for loc in root.iterfind(".//s:loc", SITEMAP_NS)
    }
    expected = {
        reverse("home"),
        reverse("articles:article_list"),
        reverse("articles:service_list"),
        reverse("articles:condition_list"),
        content.get_absolute_url(),
        reverse("articles:service_detail", args=["dry-needling"]),
        reverse("articles:condition_detail", args=["hip-pain"]),
    }
    assert expected <= locations
    for hidden in [draft, hidden_service, hidden_condition]:
        assert hidden.get_absolute_url() not in locations
