"""The time picker's short-lived page cache, emptied by every change to booked time.

Offered times are a read of slots and appointments. Every service that
changes either (booking, moving, cancelling or declining by anyone, slot
generation, blocking, adding a slot) calls availability_changed after its
commit, naming the practitioners whose time changed: their pickers, and the
"first available" pickers of the treatments they offer, go stale at once, so
a time just taken disappears and freed time reappears, while every other
practitioner's stored picker is still served. A change without names (slots
generated for everyone) makes every picker stale. The page itself is stored by
the site's one page cache (clinic.page_cache); this module gives it the policy.
The free times a picker page is drawn from are kept too (kept_open_starts),
under the same generations, so a page that is not stored costs little more
than its rendering. The cache never decides anything: the details step and
PostgreSQL re-check.
"""

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime, time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from booking.availability import clinic_zone, open_start_times
from booking.models import ANY_PRACTITIONER, Practitioner, Treatment
from clinic.page_cache import GENERATION_KEY as SITE_GENERATION_KEY
from clinic.page_cache import bump_generation, cached_page, stored_copy

# Every picker depends on this one; each also on its practitioner's, or on its
# treatment's "first available" one.
GENERATION_KEY = "booking:availability-generation"
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,120}$")


def practitioner_generation_key(slug: str) -> str:
    return f"{GENERATION_KEY}:with:{slug if _SLUG.match(slug) else '?'}"


def first_available_generation_key(treatment_slug: str) -> str:
    return f"{GENERATION_KEY}:any:{treatment_slug if _SLUG.match(treatment_slug) else '?'}"


def availability_changed(*, practitioner_ids: Iterable[int] | None = None) -> None:
    """Make the pickers showing these practitioners stale (every picker without names).

    Call after the change commits. One query, on the write path, for the
    practitioners' slugs and the treatments they offer.
    """
    if practitioner_ids is None:
        bump_generation(GENERATION_KEY)
        return
    keys = set()
    for slug, treatment_slug in Practitioner.objects.filter(
        pk__in=set(practitioner_ids)
    ).values_list("slug", "treatments__slug"):
        keys.add(practitioner_generation_key(slug))
        if treatment_slug:
            keys.add(first_available_generation_key(treatment_slug))
    for key in sorted(keys):
        bump_generation(key)


def on_commit_availability_changed(*practitioner_ids: int) -> None:
    """After the current transaction commits, make these practitioners' pickers stale."""
    ids = list(practitioner_ids)
    transaction.on_commit(lambda: availability_changed(practitioner_ids=ids))


def time_picker_generation_keys(request) -> tuple[str, ...]:
    """What a picker page depends on: its practitioner, or its treatment's whole team."""
    practitioner = request.GET.get("practitioner", "")
    if practitioner and practitioner != ANY_PRACTITIONER:
        own = practitioner_generation_key(practitioner)
    else:
        own = first_available_generation_key(request.GET.get("treatment", ""))
    return (SITE_GENERATION_KEY, GENERATION_KEY, own)


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
    generation_keys=time_picker_generation_keys,
    # The clock moves offered times too (minimum notice): keys change each period.
    per_period=True,
    # The picker reads nothing from the session: a patient who has booked once,
    # or is part way through booking, gets the stored copy like everyone else.
    serves_sessions=True,
)


def kept_open_starts(
    *,
    treatment: Treatment,
    practitioners: Iterable[Practitioner],
    window_start: datetime,
    window_end: datetime,
) -> list[tuple[int, datetime]]:
    """open_start_times for the picker, reused while none of these practitioners' time
    has changed (BOOKING_FREE_TIMES_CACHE_SECONDS at most).

    Computed from the start of `window_start`'s day, so one copy serves the
    whole day while minimum notice moves `window_start` on: starts sit on the
    treatment's step from the hour, whatever the window, so the later window's
    starts are the copy's from `window_start` on. The treatment's timing is in
    the key: an edit to it never reuses times computed for the old one.
    """
    practitioners = list(practitioners)
    seconds = settings.BOOKING_FREE_TIMES_CACHE_SECONDS
    ids = [p.pk for p in practitioners]

    def computed(start: datetime) -> list[tuple[int, datetime]]:
        return list(
            open_start_times(
                treatment=treatment,
                practitioner_ids=ids,
                window_start=start,
                window_end=window_end,
            )
        )

    if seconds <= 0:
        return computed(window_start)
    zone = clinic_zone()
    day_start = datetime.combine(window_start.astimezone(zone).date(), time(0), tzinfo=zone)
    what = (
        f"{treatment.pk}:{treatment.duration_minutes}:{treatment.buffer_after_minutes}:"
        f"{treatment.start_step_minutes}:{sorted(ids)}:{day_start.isoformat()}:"
        f"{window_end.isoformat()}"
    )
    key = f"booking:open-starts:{hashlib.sha256(what.encode()).hexdigest()}"
    depends_on = (GENERATION_KEY, *(practitioner_generation_key(p.slug) for p in practitioners))
    current, stored = stored_copy(key, depends_on)
    if stored is None:
        starts = computed(day_start)
        cache.set(key, (current, starts), seconds)
    else:
        (starts,) = stored
    return [
        (practitioner_id, moment) for practitioner_id, moment in starts if moment >= window_start
    ]
