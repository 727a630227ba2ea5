"""A short-lived cache for the time picker, emptied by every change to booked time.

Offered times are a read of slots and appointments. Every service that
changes either (booking, moving, cancelling or declining by anyone, slot
generation, blocking, adding a slot) bumps the availability generation after
its commit, so a time just taken disappears from the picker at once and freed
time reappears at once.
The cache never decides anything: the details step and PostgreSQL re-check.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from clinic.caching import site_generation

GENERATION_KEY = "booking:availability-generation"


def availability_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = 1
        cache.add(GENERATION_KEY, generation, timeout=None)
    return generation


def availability_changed() -> None:
    """Make every cached time picker stale (call after the change commits)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)


def _key(request) -> str:
    seconds = settings.BOOKING_TIMES_CACHE_SECONDS
    # The clock moves offered times too (minimum notice): keys change each period.
    period = int(timezone.now().timestamp() // seconds)
    where = f"{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(where.encode()).hexdigest()
    return f"booking:times:{site_generation()}:{availability_generation()}:{period}:{digest}"


def _cacheable(request) -> bool:
    return (
        settings.BOOKING_TIMES_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and "messages" not in request.COOKIES
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def cache_time_picker(view):
    """Serve the time picker from the cache when nothing about it can differ."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        cached = cache.get(key)
        if cached is not None:
            response = HttpResponse(cached)
            response["X-Times-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        storage = getattr(request, "_messages", None)
        if response.status_code == 200 and not response.cookies and not (storage and storage.used):
            cache.set(key, response.content, settings.BOOKING_TIMES_CACHE_SECONDS)
            response["X-Times-Cache"] = "miss"
        return response

    return wrapper
