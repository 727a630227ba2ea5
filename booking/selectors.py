"""Reads for the booking flow: offered start times, in two queries whatever the diary holds."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Min

from booking.models import (
    ACTIVE_STATUSES,
    AppointmentRequest,
    Notification,
    NotificationStatus,
    Practitioner,
    TimeSlot,
    Treatment,
)
from booking.services import GRANULARITY, booking_window


@dataclass(frozen=True)
class OfferedTime:
    starts_at: datetime
    practitioner: Practitioner
    ends_at: datetime | None = None

    @property
    def time_label(self) -> str:
        """ "09:30" in the clinic's zone: the picker shows dozens, so not through |date."""
        return self.starts_at.astimezone(clinic_zone()).strftime("%H:%M")


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def practitioners_offering(*, treatment: Treatment) -> list[Practitioner]:
    return list(Practitioner.objects.active().filter(treatments=treatment))


_A = AppointmentRequest._meta
_P = Practitioner._meta
_S = TimeSlot._meta
_TREATMENTS = Practitioner.treatments.through._meta.db_table
_ACTIVE = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)  # constants, not input
_STEP = int(GRANULARITY.total_seconds())

# The slots of every practitioner who offers the treatment (one, or all for
# "first available"), with who they are; times as whole seconds since the
# Unix epoch, so the loop below does integer arithmetic only.
_SLOTS_SQL = f"""
SELECT p.id, p.name, p.slug,
       extract(epoch FROM s.starts_at)::bigint, extract(epoch FROM s.ends_at)::bigint
FROM {_P.db_table} p
JOIN {_TREATMENTS} pt ON pt.practitioner_id = p.id AND pt.treatment_id = %(treatment)s
JOIN {_S.db_table} s ON s.practitioner_id = p.id
WHERE p.is_active
  AND (%(practitioner)s::bigint IS NULL OR p.id = %(practitioner)s::bigint)
  AND NOT s.is_blocked
  AND s.starts_at < %(end)s
  AND s.ends_at >= %(start)s::timestamptz + %(duration)s
ORDER BY p.sort_order, p.name, p.id, s.starts_at
"""  # noqa: S608 - table names are ours; every value is a parameter

# The time held by their active appointments (treatment and buffer), in order.
_BUSY_SQL = f"""
SELECT a.practitioner_id,
       extract(epoch FROM a.starts_at)::bigint, extract(epoch FROM a.occupied_until)::bigint
FROM {_A.db_table} a
JOIN {_TREATMENTS} pt ON pt.practitioner_id = a.practitioner_id AND pt.treatment_id = %(treatment)s
WHERE a.status IN ({_ACTIVE})
  AND (%(practitioner)s::bigint IS NULL OR a.practitioner_id = %(practitioner)s::bigint)
  AND a.starts_at < %(end)s::timestamptz + %(held)s
  AND a.occupied_until > %(start)s
ORDER BY a.practitioner_id, a.starts_at
"""  # noqa: S608 - table names and statuses are ours; every value is a parameter


def _free_starts(slots, busy, *, start, end, duration, held, stop):
    """One practitioner's free start times (epoch seconds), in one pass over both lists.

    Candidates sit on a 15-minute grid (multiples of 15 minutes since the Unix
    epoch, the grid services._check_policy accepts) inside the slots; one is
    free when the treatment ends inside its slot and the time it holds (buffer
    included) overlaps no appointment. Active appointments never overlap each
    other (the exclusion constraint), so one pointer walks them in step.
    """
    j, found = 0, []
    for slot_start, slot_end in slots:
        moment = -(-max(slot_start, start) // _STEP) * _STEP  # round up to the grid
        last = min(slot_end - duration, end - 1, stop - 1)
        while moment <= last:
            while j < len(busy) and busy[j][1] <= moment:
                j += 1  # over before this candidate: never in the way again
            if j < len(busy) and busy[j][0] < moment + held:
                moment = -(-busy[j][1] // _STEP) * _STEP  # jump past it
                continue
            found.append(moment)
            moment += _STEP
    return found


def _offered(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None,
    window_start: datetime,
    window_end: datetime,
    first_days: int | None = None,
) -> dict[date, list[OfferedTime]]:
    """Offered times in [window_start, window_end) by local day, earliest first; two queries.

    With several practitioners ("first available") each time is listed once,
    with the first of them in the team's order. With `first_days`, only that
    many days from the first day that has any time.
    """
    if window_end <= window_start or not treatment.is_active:
        return {}
    duration = timedelta(minutes=treatment.duration_minutes)
    held = duration + timedelta(minutes=treatment.buffer_after_minutes)
    params = {
        "treatment": treatment.pk,
        "practitioner": practitioner.pk if practitioner is not None else None,
        "start": window_start,
        "end": window_end,
        "duration": duration,
        "held": held,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SLOTS_SQL, params)
        slot_rows = cursor.fetchall()
        if not slot_rows:
            return {}
        cursor.execute(_BUSY_SQL, params)
        busy_rows = cursor.fetchall()

    people: dict[int, Practitioner] = {}
    slots: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, name, slug, slot_start, slot_end in slot_rows:
        if pk not in people:  # rows come in the team's order
            people[pk] = (
                practitioner
                if practitioner is not None and practitioner.pk == pk
                else Practitioner(pk=pk, name=name, slug=slug)
            )
        slots[pk].append((slot_start, slot_end))
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, busy_start, busy_end in busy_rows:
        busy[pk].append((busy_start, busy_end))

    zone = clinic_zone()
    start, end = int(window_start.timestamp()), int(window_end.timestamp())
    stop = end
    offered: dict[int, int] = {}  # start -> practitioner, the first in order wins
    for pk in people:
        for moment in _free_starts(
            slots[pk],
            busy[pk],
            start=start,
            end=end,
            duration=int(duration.total_seconds()),
            held=int(held.total_seconds()),
            stop=stop,
        ):
            offered.setdefault(moment, pk)
        if first_days and offered:
            # Later practitioners need not look past the days already to be shown.
            first_day = datetime.fromtimestamp(min(offered), zone).date()
            limit = datetime.combine(first_day + timedelta(days=first_days), time(0), tzinfo=zone)
            stop = min(stop, int(limit.timestamp()))
    by_day: dict[date, list[OfferedTime]] = defaultdict(list)
    for moment in sorted(offered):
        if moment >= stop:
            break
        starts_at = datetime.fromtimestamp(moment, UTC)
        by_day[starts_at.astimezone(zone).date()].append(
            OfferedTime(
                starts_at=starts_at,
                practitioner=people[offered[moment]],
                ends_at=starts_at + duration,
            )
        )
    return dict(by_day)


def _window(*, start: date, days: int, now: datetime) -> tuple[datetime, datetime]:
    zone = clinic_zone()
    earliest, latest = booking_window(now=now)
    return (
        max(datetime.combine(start, time(0), tzinfo=zone), earliest),
        min(datetime.combine(start + timedelta(days=days), time(0), tzinfo=zone), latest),
    )


def available_start_times(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None = None,
    start: date,
    days: int,
    now: datetime,
) -> dict[date, list[OfferedTime]]:
    """Start times a patient may book in `days` days from `start`, by local day, earliest first.

    With no practitioner ("first available") any practitioner who offers the
    treatment will do, and each time is listed once. Two queries whatever the
    data size.
    """
    window_start, window_end = _window(start=start, days=days, now=now)
    return _offered(
        treatment=treatment,
        practitioner=practitioner,
        window_start=window_start,
        window_end=window_end,
    )


def first_days_with_times(
    *, treatment: Treatment, practitioner: Practitioner | None, days: int, now: datetime
) -> dict[date, list[OfferedTime]]:
    """Offered times of `days` days from the first day that has any, within the horizon.

    Two queries, whatever the horizon: the search stops at the last day shown.
    """
    today = now.astimezone(clinic_zone()).date()
    window_start, window_end = _window(start=today, days=10_000, now=now)
    return _offered(
        treatment=treatment,
        practitioner=practitioner,
        window_start=window_start,
        window_end=window_end,
        first_days=days,
    )


def nearest_start_times(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None,
    around: datetime,
    now: datetime,
    limit: int = 6,
) -> list[OfferedTime]:
    """The free times closest to one that was just taken, earliest first."""
    zone = clinic_zone()
    day = around.astimezone(zone).date()
    first = max(day - timedelta(days=3), now.astimezone(zone).date())
    times = [
        offered
        for offered_day in available_start_times(
            treatment=treatment, practitioner=practitioner, start=first, days=14, now=now
        ).values()
        for offered in offered_day
    ]
    times.sort(key=lambda offered: abs(offered.starts_at - around))
    return sorted(times[:limit], key=lambda offered: offered.starts_at)


def first_day_with_times(times: dict[date, list[OfferedTime]]) -> date | None:
    return min(times) if times else None


def email_queue_report(now: datetime) -> dict:
    """For /healthz: how long the oldest e-mail still waiting to be sent has waited."""
    oldest = Notification.objects.filter(status=NotificationStatus.QUEUED).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    seconds = None if oldest is None else max(0, int((now - oldest).total_seconds()))
    return {"oldest_queued_email_seconds": seconds}
