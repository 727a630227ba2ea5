"""The time picker's short-lived page cache, emptied by every change to booked time.

Offered times are a read of slots and appointments. Every service that
changes either (booking, moving, cancelling or declining by anyone, slot
generation, blocking, adding a slot) bumps the availability generation after
its commit, so a time just taken disappears from the picker at once and freed
time reappears at once. The page itself is stored by the site's one page
cache (clinic.page_cache); this module gives it the policy.
The cache never decides anything: the details step and PostgreSQL re-check.
"""

from django.conf import settings

from clinic.page_cache import GENERATION_KEY as SITE_GENERATION_KEY
from clinic.page_cache import bump_generation, cached_page

GENERATION_KEY = "booking:availability-generation"


def availability_changed() -> None:
    """Make every cached time picker stale (call after the change commits)."""
    bump_generation(GENERATION_KEY)


# The picker reads these parameters; anything else shares the same copy.
TIME_PICKER_QUERY = (
    "treatment",
    "practitioner",
    "with",
    "start",
    "week",
    "day",
    "partial",
    "course",
)

cache_time_picker = cached_page(
    query=TIME_PICKER_QUERY,
    seconds=lambda: settings.BOOKING_TIMES_CACHE_SECONDS,
    generation_keys=(SITE_GENERATION_KEY, GENERATION_KEY),
    # The clock moves offered times too (minimum notice): keys change each period.
    per_period=True,
)
