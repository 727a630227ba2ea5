import pytest
from django.conf import settings
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse

from clinic.page_cache import PublicPageCacheMiddleware

from .conftest import make_article

pytestmark = pytest.mark.django_db


def test_second_visit_is_served_from_the_page_cache(client, clinic):
    article = make_article()
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"


def test_visitors_with_a_session_are_never_served_cached_pages(client, clinic):
    article = make_article()
    client.get(article.get_absolute_url())
    client.cookies[settings.SESSION_COOKIE_NAME] = "somebody"
    assert "X-Page-Cache" not in client.get(article.get_absolute_url())


def test_logged_in_staff_always_get_a_fresh_page(admin_client, clinic):
    article = make_article()
    admin_client.get(article.get_absolute_url())
    assert "X-Page-Cache" not in admin_client.get(article.get_absolute_url())


def test_pages_that_showed_messages_are_not_stored(rf, clinic):
    calls = []

    def home_showing_a_message(request):
        calls.append(1)
        request.session = {}
        request._messages = FallbackStorage(request)
        request._messages.add(20, "Saved")
        list(request._messages)  # the template showed it
        return HttpResponse("page")

    middleware = PublicPageCacheMiddleware(home_showing_a_message)
    for _ in range(2):
        middleware(rf.get("/"))
    assert len(calls) == 2


def test_error_pages_are_not_stored(client, clinic):
    client.get("/articles/no-such-article/")
    response = client.get("/articles/no-such-article/")
    assert response.status_code == 404
    assert "X-Page-Cache" not in response


def test_visitors_with_pending_messages_get_a_fresh_page(client, clinic):
    article = make_article()
    client.get(article.get_absolute_url())
    client.cookies["messages"] = "pending"
    assert "X-Page-Cache" not in client.get(article.get_absolute_url())
