"""The one page cache: keys hold only the query parameters a page reads."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.articles.conftest import make_article, make_topic
from tests.booking.booking_world import make_world

pytestmark = pytest.mark.django_db


def stored_pages() -> int:
    return sum(1 for key in cache._cache if ":page:" in key)  # LocMemCache's own dict


def test_made_up_query_parameters_share_the_pages_one_copy(client, clinic):
    article = make_article()
    url = article.get_absolute_url()
    assert client.get(url)["X-Page-Cache"] == "miss"

    for n in range(50):
        response = client.get(url, {"utm_source": f"mail{n}", f"junk{n}": "x" * 5000})
        assert response["X-Page-Cache"] == "hit"
    assert stored_pages() == 1


def test_parameters_a_page_reads_get_their_own_copy(client, clinic):
    topic = make_topic()
    make_article(topics=[topic])
    all_articles = client.get(reverse("articles:article_list"))
    by_topic = client.get(reverse("articles:article_list"), {"topic": topic.slug, "ref": "x"})

    assert all_articles["X-Page-Cache"] == "miss"
    assert by_topic["X-Page-Cache"] == "miss"
    assert client.get(reverse("articles:article_list"), {"ref": "y"})["X-Page-Cache"] == "hit"


def test_the_time_picker_ignores_made_up_parameters_too(client, clinic, settings):
    settings.BOOKING_TIMES_CACHE_SECONDS = 60
    make_world()
    url = reverse("booking:time")
    params = {"treatment": "dry-needling", "practitioner": "maya-okafor"}
    assert client.get(url, params)["X-Page-Cache"] == "miss"
    assert client.get(url, {**params, "fbclid": "abc"})["X-Page-Cache"] == "hit"
    assert client.get(url, {**params, "week": "2099-01-05"})["X-Page-Cache"] == "miss"


def test_a_host_the_site_does_not_serve_is_refused_not_cached(client, clinic):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert stored_pages() == 0
