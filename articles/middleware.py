"""Serve stored public pages before the rest of the middleware stack runs.

``cache_public_page`` already caches a page's body inside the view, but the
request still passes sessions, CSRF, auth, messages, CSP, URL resolving and
axes on every hit. Placed directly after WhiteNoiseMiddleware, this middleware
answers a repeat visit as cheaply as a static file:

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "articles.middleware.PublicPageCacheMiddleware",
        ...
    ]

It stores only responses that the view marked as public pages, with every
header the inner middleware added (CSP, X-Frame-Options, ...), and never one
that sets a cookie. Keys include the site generation,
so a content edit makes every stored page stale at once.
"""

from django.core.cache import cache
from django.http import HttpResponse

from articles.caching import PAGE_CACHE_SECONDS, cacheable_request, page_cache_key

_NOT_STORED = {"x-page-cache", "set-cookie", "date"}


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not cacheable_request(request):
            return self.get_response(request)
        key = "edge:" + page_cache_key(request)
        stored = cache.get(key)
        if stored is not None:
            headers, content = stored
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if (
            getattr(response, "public_page", False)
            and response.status_code == 200
            and not response.cookies
        ):
            headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED]
            cache.set(key, (headers, response.content), PAGE_CACHE_SECONDS)
        return response
