"""Generation numbers for cached pages, and the policy a view gives its page cache.

Cached pages put generation numbers in their keys: bumping the site
generation after any content edit makes every cached page stale at once, so
staff see their change; the booking app keeps its own generation for
offered times.

A view opts in to the page cache with ``@cached_page(...)``, which only
records a policy on the view: which query parameters the page reads (all
others are left out of the key, so made-up parameters can neither fill nor
evict the cache), how long a copy lives and which generations it depends on.
One mechanism does the caching, PublicPageCacheMiddleware
(articles/middleware.py): it answers a repeat anonymous visit before
sessions, CSRF, auth and the view run.
"""

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache

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


def site_generation() -> int:
    return generations((GENERATION_KEY,))[0]


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
    # Generation counters whose bump makes every copy stale.
    generation_keys: tuple[str, ...] = (GENERATION_KEY,)
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
        parts = [str(n) for n in generations(self.generation_keys)]
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
