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

Pages are stored gzip-compressed, once, when they are rendered: a repeat
visit from a browser (they all accept gzip) is sent the stored bytes as they
are, with no compression work per request. The rare client that does not
accept gzip gets them decompressed. Stored pages are anonymous and carry no
cookie, so no secret of a visitor's is in them and compressing them leaks
nothing (BREACH needs a secret and the attacker's text in one compressed
response; see clinic/settings.py and docs/deployment.md).
"""

import gzip
import re

from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers

from clinic.caching import cacheable_request

_NOT_STORED = {"x-page-cache", "set-cookie", "date", "content-length"}
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def _accepts_gzip(request) -> bool:
    return bool(_ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


def _answer(request, headers, compressed: bytes, cache_state: str) -> HttpResponse:
    if _accepts_gzip(request):
        response = HttpResponse(compressed)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(compressed))
    for name, value in headers:
        response[name] = value
    response["Content-Length"] = str(len(response.content))
    response["X-Page-Cache"] = cache_state
    return response


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
            headers, compressed = stored
            return _answer(request, headers, compressed, "hit")
        response = self.get_response(request)
        messages = getattr(request, "_messages", None)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not (messages is not None and messages.used)
            and not response.has_header("Content-Encoding")
        ):
            keep = policy.store_seconds(seconds)
            if keep > 0:
                patch_vary_headers(response, ("Accept-Encoding",))
                headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED]
                compressed = gzip.compress(response.content, compresslevel=9, mtime=0)
                cache.set(key, (headers, compressed), keep)
                return _answer(request, headers, compressed, "miss")
        return response
