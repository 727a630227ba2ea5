"""A site-wide generation number for cached pages.

Cached pages put the generation in their key; bumping it after any content
edit makes every cached page stale at once, so staff see their change.
"""

from django.core.cache import cache

GENERATION_KEY = "clinic:site-generation"


def site_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = 1
        cache.add(GENERATION_KEY, generation, timeout=None)
    return generation


def bump_site_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet
        cache.set(GENERATION_KEY, 2, timeout=None)
