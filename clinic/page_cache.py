"""The site's one page cache: stored public pages, served before the rest of the stack.

A view opts in with ``@cached_page(...)`` (class-based content views through
``articles.caching.PublicPageCacheMixin``; the booking time picker too), which
only records a policy on the view: which query parameters the page reads (all
others are left out of the key, so made-up parameters can neither fill nor
evict the cache), how long a copy lives and which generations it depends on.

Each stored copy records the generation numbers it was rendered under, and
is served only while they are still current (read with the copy, in one
cache round trip): bumping the site generation after any content edit makes
every cached page stale at once, so staff see their change; the booking app
keeps its own generations for offered times.

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
query parameters the view reads; the copy holds its generation numbers, so a
content edit (or, for the time picker, a booking) makes stored copies stale
at once. Visitors with a session are sent past the cache, except to pages
whose policy says they never read it (the time picker: a patient who has
booked once, or staff, still gets the stored copy); those are stored only
from a rendering that did not touch the session. With the cache down, pages
are rendered as if nothing were stored (clinic/redis_cache.py).

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
    return _current(cache.get_many(list(keys)), keys)


def _current(found: dict, keys: tuple[str, ...]) -> tuple[int, ...]:
    """Each counter's value as read into `found`; one never bumped yet starts at 1."""
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


# The messages cookie holds messages the next page must show; a session means
# staff or a booking in progress, which only some pages may ignore.
_MESSAGES_COOKIE = "messages"


def cacheable_request(request, *, serves_sessions: bool = False) -> bool:
    """GETs without anything personal to show: anonymous, or with a session the page ignores."""
    return (
        request.method in ("GET", "HEAD")
        and _MESSAGES_COOKIE not in request.COOKIES
        and (serves_sessions or settings.SESSION_COOKIE_NAME not in request.COOKIES)
    )


def _session_read(request) -> bool:
    """Whether rendering the page read the session (a staff check, a booking in progress)."""
    session = getattr(request, "session", None)
    return bool(getattr(session, "accessed", False))


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
    # Visitors with a session (a booking in progress, staff) get the stored copy
    # too. For views that never read the session: a copy is stored only when
    # rendering it did not touch the session, so it holds nothing of anyone's.
    serves_sessions: bool = False

    def timeout(self) -> int:
        return self.seconds() if callable(self.seconds) else self.seconds

    def store_seconds(self, seconds: int) -> int:
        """How long to keep a copy made now: ``seconds``, cut short by ``expires_by``."""
        deadline = self.expires_by() if self.expires_by is not None else None
        if deadline is None:
            return seconds
        return max(0, min(seconds, math.ceil(deadline - time.time())))

    def key(self, request, seconds: int) -> str:
        """Where this page's copy is stored. Raises DisallowedHost for a host the site does
        not serve."""
        params = [(name, request.GET[name]) for name in self.query if name in request.GET]
        where = f"{request.scheme}://{request.get_host()}{request.path}?{urlencode(params)}"
        period = f"{int(time.time() // seconds)}:" if self.per_period else ""
        digest = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()
        return f"page:{period}{digest}"

    def depends_on(self, request) -> tuple[str, ...]:
        """The generation counters this page's copy is valid for."""
        if callable(self.generation_keys):
            return self.generation_keys(request)
        return self.generation_keys


def stored_copy(key: str, generation_keys: tuple[str, ...]) -> tuple[tuple[int, ...], object]:
    """The current generations and the copy stored under `key` if it is still valid for
    them (else None): one cache round trip, the generations read with the copy.

    A copy records the generations read before its page was rendered; once any of
    them is bumped it no longer matches and is rendered again.
    """
    found = cache.get_many([*generation_keys, key])
    current = _current(found, generation_keys)
    stored = found.get(key)
    if stored is None or stored[0] != current:
        return current, None
    return current, stored[1:]


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
    # Nothing any policy could serve: no URL to resolve.
    if not cacheable_request(request, serves_sessions=True):
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    policy = getattr(match.func, "page_cache_policy", None)
    if policy is None or not cacheable_request(request, serves_sessions=policy.serves_sessions):
        return None
    return policy


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
        current, stored = stored_copy(key, policy.depends_on(request))
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
            and not (policy.serves_sessions and _session_read(request))
        ):
            keep = policy.store_seconds(seconds)
            if keep > 0:
                patch_vary_headers(response, ("Accept-Encoding",))
                headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED]
                compressed = gzip.compress(response.content, compresslevel=9, mtime=0)
                cache.set(key, (current, headers, compressed), keep)
                return _answer(request, headers, compressed, "miss")
        return response
