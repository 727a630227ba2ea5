"""Whole-page caching for the public content pages.

Keys carry the site generation (clinic.caching), so one bump after any content
edit makes every cached page stale at once and staff see their change.
Visitors with a session (staff, someone mid-booking) and pages showing
messages are never served from, or stored in, the cache.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from clinic.caching import site_generation

PAGE_CACHE_SECONDS = 300
_KEPT_HEADERS = ("Content-Type", "Content-Language")


# A session means staff or a booking in progress; the messages cookie holds
# messages the next page must show.
_PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")


def cacheable_request(request) -> bool:
    """Anonymous GETs without anything personal to show."""
    return request.method in ("GET", "HEAD") and not any(
        name in request.COOKIES for name in _PERSONAL_COOKIES
    )


def page_cache_key(request) -> str:
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(where.encode()).hexdigest()
    return f"articles:page:{site_generation()}:{digest}"


def cache_public_page(view):
    """Serve a rendered public page from the cache; store it after a clean render."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not cacheable_request(request):
            return view(request, *args, **kwargs)
        key = page_cache_key(request)
        cached = cache.get(key)
        if cached is not None:
            status, headers, content = cached
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response["X-Page-Cache"] = "hit"
            response.public_page = True
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        storage = getattr(request, "_messages", None)
        if response.status_code == 200 and not response.cookies and not (storage and storage.used):
            headers = [(name, response[name]) for name in _KEPT_HEADERS if name in response]
            cache.set(key, (200, headers, response.content), PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
            response.public_page = True  # PublicPageCacheMiddleware may store it whole
        return response

    return wrapper


class PublicPageCacheMixin:
    """For class-based views: ``dispatch`` goes through cache_public_page."""

    @classmethod
    def as_view(cls, **initkwargs):
        return cache_public_page(super().as_view(**initkwargs))
