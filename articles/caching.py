"""Whole-page caching for the public content pages.

The pages are cached by PublicPageCacheMiddleware (articles/middleware.py)
under the policy their view declares (clinic.caching.cached_page). Keys carry
the site generation, so one bump after any content edit makes every cached
page stale at once and staff see their change. Visitors with a session
(staff, someone mid-booking) and pages showing messages are never served
from, or stored in, the cache.
"""

from clinic.caching import cached_page


class PublicPageCacheMixin:
    """For class-based views: the page is cached, keyed by ``cache_query`` parameters only."""

    # The query parameters the page reads; others (tracking tags, junk) share its copy.
    cache_query: tuple[str, ...] = ()

    @classmethod
    def as_view(cls, **initkwargs):
        return cached_page(super().as_view(**initkwargs), query=cls.cache_query)
