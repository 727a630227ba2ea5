"""Whole-page caching for the public content pages.

The pages are cached by PublicPageCacheMiddleware (clinic/page_cache.py)
under the policy their view declares (clinic.page_cache.cached_page). Keys carry
the site generation, so one bump after any content edit makes every cached
page stale at once and staff see their change. Visitors with a session
(staff, someone mid-booking) and pages showing messages are never served
from, or stored in, the cache.

A page scheduled for later changes the site without an edit: every copy is
stored to expire no later than the next scheduled publish date, so the page
appears on time rather than when the cache gets round to it.
"""

import time

from django.core.cache import cache
from django.utils import timezone

from articles import selectors
from clinic.page_cache import cached_page

NEXT_PUBLISH_KEY = "articles:next-publish"
# An upper bound only: every content change forgets the stored answer at once.
NEXT_PUBLISH_SECONDS = 24 * 60 * 60


def forget_next_publish() -> None:
    cache.delete(NEXT_PUBLISH_KEY)


def next_publish_deadline() -> float | None:
    """The epoch second of the next scheduled publish, or None when nothing is scheduled.

    Read from the database once per content change (articles.services forgets
    the stored answer on every commit that changes content) and again once its
    moment has passed.
    """
    key = NEXT_PUBLISH_KEY
    deadline = cache.get(key)
    if deadline is None or 0 < deadline <= time.time():
        moment = selectors.next_scheduled_publish(now=timezone.now())
        deadline = moment.timestamp() if moment is not None else 0
        cache.set(key, deadline, NEXT_PUBLISH_SECONDS)
    return deadline or None


class PublicPageCacheMixin:
    """For class-based views: the page is cached, keyed by ``cache_query`` parameters only."""

    # The query parameters the page reads; others (tracking tags, junk) share its copy.
    cache_query: tuple[str, ...] = ()

    @classmethod
    def as_view(cls, **initkwargs):
        return cached_page(
            super().as_view(**initkwargs), query=cls.cache_query, expires_by=next_publish_deadline
        )
