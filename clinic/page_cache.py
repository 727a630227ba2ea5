"""The site's one page cache: stored public pages, served before the rest of the stack.

A view opts in with ``@cached_page(...)`` (class-based content views through
``articles.caching.PublicPageCacheMixin``; the booking time picker too), which
only records a policy on the view: which query parameters the page reads (all
others are left out of the key, so made-up parameters can neither fill nor
evict the cache), how long a copy lives and which generations it depends on.

Cached pages put generation numbers in their keys: bumping the site
generation after any content edit makes every cached page stale at once, so
staff see their change; the booking app keeps its own generation for
offered times.

One mechanism does the caching, PublicPageCacheMiddleware. Placed directly
after WhiteNoiseMiddleware, it answers a repeat anonymous visit as cheaply as
a static file, before sessions, CSRF, auth, messages, CSP, URL resolving and
axes run:

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "clinic.page_cache.PublicPageCacheMiddleware",
        ...
    ]

It stores only 200 responses of views with a policy, with every header the
inner middleware added (CSP, X-Frame-Options, ...), and never one that sets a
cookie or showed messages. The key holds the page's address with only the
query parameters the view reads, and its generation numbers, so a content
edit (or, for the time picker, any booking) makes every stored copy stale at
once. With the cache down, pages are rendered as if nothing were stored
(clinic/redis_cache.py).

Pages are stored gzip-compressed, once, when they are rendered: a repeat
visit from a browser (they all accept gzip) is sent the stored bytes as they
are, with no compression work per request. The rare client that does not
accept gzip gets them decompressed. Stored pages are anonymous and carry no
cookie, so no secret of a visitor's is in them and compressing them leaks
nothing (BREACH needs a secret and the attacker's text in one compressed
response; see clinic/settings.py and docs/deployment.md).
"""

import gzip
import hashlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers

GENERATION_KEY = "clinic:site-generation"

# How long a public content page is kept; an edit makes it stale at once anyway.
PAGE_CACHE_SECONDS = 300


def generations(keys: tuple[str, ...]) -> tuple[int, ...]:
    """The current value of each generation counter, read in one cache round trip."""
    found = cache.get_many(list(keys))
    values = []
    for key in keys:
        value = found.get(key)
        if value is None:
            value = 1
            cache.add(key, value, timeout=None)
        values.append(value)
    return tuple(values)


def bump_generation(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # not set yet (or the cache is down, and nothing is cached)
        cache.set(key, 2, timeout=None)


def bump_site_generation() -> None:
    bump_generation(GENERATION_KEY)


# A session means staff or a booking in progress; the messages cookie holds
# messages the next page must show.
_PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")


def cacheable_request(request) -> bool:
    """Anonymous GETs without anything personal to show."""
    return request.method in ("GET", "HEAD") and not any(
        name in request.COOKIES for name in _PERSONAL_COOKIES
    )


@dataclass(frozen=True)
class PageCachePolicy:
    # The query parameters the page reads; any other parameter is ignored.
    query: tuple[str, ...] = ()
    # Seconds a copy lives (a callable is read per request, for settings).
    seconds: int | Callable[[], int] = PAGE_CACHE_SECONDS
    # Generation counters whose bump makes every copy stale; a callable picks
    # them per request (the time picker: the practitioner it shows).
    generation_keys: tuple[str, ...] | Callable[..., tuple[str, ...]] = (GENERATION_KEY,)
    # The clock changes the page too (offered times): a new key every period.
    per_period: bool = False
    # When the page will change at a known moment (content scheduled to be
    # published), the epoch second by which every stored copy must be gone.
    expires_by: Callable[[], float | None] | None = None

    def timeout(self) -> int:
        return self.seconds() if callable(self.seconds) else self.seconds

    def store_seconds(self, seconds: int) -> int:
        """How long to keep a copy made now: ``seconds``, cut short by ``expires_by``."""
        deadline = self.expires_by() if self.expires_by is not None else None
        if deadline is None:
            return seconds
        return max(0, min(seconds, math.ceil(deadline - time.time())))

    def key(self, request, seconds: int) -> str:
        """Raises DisallowedHost for a host the site does not serve."""
        params = [(name, request.GET[name]) for name in self.query if name in request.GET]
        where = f"{request.scheme}://{request.get_host()}{request.path}?{urlencode(params)}"
        keys = (
            self.generation_keys(request)
            if callable(self.generation_keys)
            else self.generation_keys
        )
        parts = [str(n) for n in generations(keys)]
        if self.per_period:
            parts.append(str(int(time.time() // seconds)))
        digest = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()
        return f"page:{'.'.join(parts)}:{digest}"


def cached_page(view=None, **policy):
    """Mark a view's page as cacheable for anonymous visitors (see the module docstring)."""

    def mark(view):
        view.page_cache_policy = PageCachePolicy(**policy)
        return view

    return mark(view) if view is not None else mark


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
