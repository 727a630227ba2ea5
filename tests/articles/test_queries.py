"""Public pages cost the same number of queries whatever the amount of content."""

import pytest
from django.urls import reverse

from clinic.page_cache import bump_site_generation

from .conftest import make_articles, make_condition, make_service, make_topic

pytestmark = pytest.mark.django_db

# Each budget counts a cold page cache (the cached path costs no query at all).
BUDGETS = {
    "home": 5,  # services, conditions, latest articles, their topics, the team
    "article_list": 4,  # count, page of articles (+ authors), their topics, topic filter
    "article_list_topic": 5,  # + the topic itself
    "article_detail": 6,  # article (+ people), topics, services, conditions, related, topics
    "service_detail": 4,  # service (+ treatment), conditions, articles, their topics
    "condition_detail": 4,  # condition, services, articles, their topics
    "search": 3,  # one ranked query per content type
}


@pytest.fixture(params=[5, 200], ids=lambda n: f"{n}-articles")
def site(request, clinic, maya, tom):
    topics = [make_topic() for _ in range(6)]
    services = [make_service() for _ in range(4)]
    conditions = [make_condition() for _ in range(5)]
    for condition in conditions:
        condition.services.set(services)
    articles = make_articles(
        [
            {
                "topics": topics[i % 3 : i % 3 + 3],
                "services": services[: 1 + i % 4],
                "conditions": conditions[: 1 + i % 5],
            }
            for i in range(request.param)
        ],
        author=tom,
        reviewer=maya,
        body="Trigger point words. " * 50,
    )
    return {
        "article": articles[0],
        "topic": topics[0],
        "service": services[0],
        "condition": conditions[0],
    }


def _urls(site):
    return {
        "home": reverse("home"),
        "article_list": reverse("articles:article_list"),
        "article_list_topic": reverse("articles:article_list") + f"?topic={site['topic'].slug}",
        "article_detail": site["article"].get_absolute_url(),
        "service_detail": site["service"].get_absolute_url(),
        "condition_detail": site["condition"].get_absolute_url(),
        "search": reverse("articles:search") + "?q=trigger+point",
    }


@pytest.mark.parametrize("page", list(BUDGETS))
def test_public_page_stays_within_its_query_budget(
    client, site, page, django_assert_max_num_queries
):
    url = _urls(site)[page]
    client.get(url)  # warm the clinic identity, which every page shares
    bump_site_generation()  # a cold page cache: the view really runs
    with django_assert_max_num_queries(BUDGETS[page]):
        response = client.get(url)
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "miss"


def test_a_cached_page_costs_no_query(client, site, django_assert_num_queries):
    url = site["article"].get_absolute_url()
    client.get(url)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response["X-Page-Cache"] == "hit"
