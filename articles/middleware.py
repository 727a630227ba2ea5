"""The site's one page cache: stored public pages, served before the rest of the stack.

A view opts in with ``clinic.caching.cached_page`` (class-based content views
through ``PublicPageCacheMixin``; the booking time picker too). Placed
directly after WhiteNoiseMiddleware, this middleware answers a repeat
anonymous visit as cheaply as a static file, before sessions, CSRF, auth,
messages, CSP, URL resolving and axes run:

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "articles.middleware.PublicPageCacheMiddleware",
        ...
    ]

It stores only 200 responses of views with a policy, with every header the
inner middleware added (CSP, X-Frame-Options, ...), and never one that sets a
cookie or showed messages. The key holds the page's address with only the
query parameters the view reads, and its generation numbers, so a content
edit (or, for the time picker, any booking) makes every stored copy stale at
once. With the cache down, pages are rendered as if nothing were stored
(clinic/cache.py).
"""

from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.urls import Resolver404, resolve

from clinic.caching import cacheable_request

_NOT_STORED = {"x-page-cache", "set-cookie", "date"}


def _policy(request):
    if not cacheable_request(request):
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return getattr(match.func, "page_cache_policy", None)


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        policy = _policy(request)
        seconds = policy.timeout() if policy else 0
        if seconds <= 0:
            return self.get_response(request)
        try:
            key = policy.key(request, seconds)
        except DisallowedHost:
            return self.get_response(request)  # the stack answers 400
        stored = cache.get(key)
        if stored is not None:
            headers, content = stored
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        messages = getattr(request, "_messages", None)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not (messages is not None and messages.used)
        ):
            keep = policy.store_seconds(seconds)
            if keep > 0:
                headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED]
                cache.set(key, (headers, response.content), keep)
                response["X-Page-Cache"] = "miss"
        return response
