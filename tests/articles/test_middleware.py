"""The page cache in front of the middleware stack, as clinic/settings.py installs it.

Nothing here adds the middleware again: with it gone from MIDDLEWARE, the
tests that expect a repeat visit to skip the rest of the stack fail.
"""

import pytest
from django.conf import settings

from articles.models import Status
from clinic.page_cache import bump_site_generation

from .conftest import make_article

pytestmark = pytest.mark.django_db


def test_edge_cache_serves_a_repeat_visit_without_any_query(
    client, clinic, django_assert_num_queries
):
    article = make_article()
    first = client.get(article.get_absolute_url())
    with django_assert_num_queries(0):
        second = client.get(article.get_absolute_url())
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content


def test_edge_cache_answers_a_repeat_visit_before_sessions_and_auth_run(client, clinic):
    article = make_article()
    first = client.get(article.get_absolute_url())
    second = client.get(article.get_absolute_url())
    # The first visit went through the whole stack; the second never reached
    # the session or authentication middleware, let alone the view.
    assert hasattr(first.wsgi_request, "session") and hasattr(first.wsgi_request, "user")
    assert second["X-Page-Cache"] == "hit"
    assert not hasattr(second.wsgi_request, "session")
    assert not hasattr(second.wsgi_request, "user")


def test_edge_cache_keeps_the_security_headers_of_the_full_stack(client, clinic):
    article = make_article()
    first = client.get(article.get_absolute_url())
    second = client.get(article.get_absolute_url())
    assert second["X-Page-Cache"] == "hit"
    for header in ["Content-Security-Policy", "X-Frame-Options", "Content-Type"]:
        assert second[header] == first[header]


def test_edge_cache_goes_stale_when_content_changes(client, clinic):
    article = make_article(title="Before")
    client.get(article.get_absolute_url())
    article.title = "After"
    article.save()
    bump_site_generation()
    assert "After" in client.get(article.get_absolute_url()).content.decode()


def test_edge_cache_never_stores_a_staff_preview_or_a_404(admin_client, client, clinic):
    draft = make_article(status=Status.DRAFT, published_at=None)
    admin_client.get(f"/preview/article/{draft.slug}/")
    client.get(draft.get_absolute_url())
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 404
    assert "X-Page-Cache" not in response


def test_edge_cache_is_bypassed_for_visitors_with_a_session(client, clinic):
    article = make_article()
    client.get(article.get_absolute_url())
    client.cookies[settings.SESSION_COOKIE_NAME] = "someone"
    assert "X-Page-Cache" not in client.get(article.get_absolute_url())
