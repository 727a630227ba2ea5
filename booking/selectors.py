"""Reads for the booking flow: offered start times, in a constant number of queries."""

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from booking.models import AppointmentRequest, Practitioner, TimeSlot, Treatment
from booking.services import GRANULARITY, booking_window

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class OfferedTime:
    starts_at: datetime
    practitioner: Practitioner
    ends_at: datetime | None = None


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _round_up(moment: datetime) -> datetime:
    remainder = (moment - _EPOCH) % GRANULARITY
    return moment if not remainder else moment + (GRANULARITY - remainder)


def practitioners_offering(*, treatment: Treatment) -> list[Practitioner]:
    return list(Practitioner.objects.active().filter(treatments=treatment))


def available_start_times(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None = None,
    start: date,
    days: int,
    now: datetime,
) -> dict[date, list[OfferedTime]]:
    """Start times a patient may book, by local day, earliest first.

    Candidates sit on a 15-minute grid inside unblocked slots; a candidate is
    offered when the treatment ends inside the slot and the time it holds
    (buffer included) overlaps no active appointment. With no practitioner
    ("first available") any practitioner who offers the treatment will do,
    and each time is listed once. Three queries whatever the data size.
    """
    zone = clinic_zone()
    earliest, latest = booking_window(now=now)
    window_start = max(datetime.combine(start, time(0), tzinfo=zone), earliest)
    window_end = min(datetime.combine(start + timedelta(days=days), time(0), tzinfo=zone), latest)
    if window_end <= window_start or not treatment.is_active:
        return {}

    candidates = Practitioner.objects.active().filter(treatments=treatment)
    if practitioner is not None:
        candidates = candidates.filter(pk=practitioner.pk)
    practitioners = {p.pk: p for p in candidates}
    if not practitioners:
        return {}

    order = {pk: index for index, pk in enumerate(practitioners)}
    offered: dict[datetime, OfferedTime] = {}
    duration = timedelta(minutes=treatment.duration_minutes)
    for practitioner_id, moment in open_start_times(
        treatment=treatment,
        practitioner_ids=list(practitioners),
        window_start=window_start,
        window_end=window_end,
    ):
        current = offered.get(moment)
        if current is None or order[practitioner_id] < order[current.practitioner.pk]:
            offered[moment] = OfferedTime(
                starts_at=moment,
                practitioner=practitioners[practitioner_id],
                ends_at=moment + duration,
            )

    by_day: dict[date, list[OfferedTime]] = defaultdict(list)
    for moment in sorted(offered):
        by_day[moment.astimezone(zone).date()].append(offered[moment])
    return dict(by_day)


def open_start_times(
    *,
    treatment: Treatment,
    practitioner_ids: list[int],
    window_start: datetime,
    window_end: datetime,
    ignore_appointment_id: int | None = None,
) -> list[tuple[int, datetime]]:
    """(practitioner id, start) for every start in the window where the treatment fits.

    Candidates sit on the start-time grid inside unblocked slots; a candidate
    fits when the treatment ends inside the slot and the time it holds (buffer
    included) overlaps no active appointment but `ignore_appointment_id` (the
    one being moved). Two queries whatever the data size; the callers decide
    the window (online: the booking window; staff: from now on).
    """
    duration = timedelta(minutes=treatment.duration_minutes)
    held = duration + timedelta(minutes=treatment.buffer_after_minutes)
    slots = TimeSlot.objects.filter(
        practitioner_id__in=practitioner_ids,
        is_blocked=False,
        starts_at__lt=window_end,
        ends_at__gte=window_start + duration,
    ).values_list("practitioner_id", "starts_at", "ends_at")
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for practitioner_id, busy_start, busy_end in (
        AppointmentRequest.objects.active()
        .filter(
            practitioner_id__in=practitioner_ids,
            starts_at__lt=window_end + held,
            occupied_until__gt=window_start,
        )
        .exclude(pk=ignore_appointment_id)
        .order_by("starts_at")
        .values_list("practitioner_id", "starts_at", "occupied_until")
    ):
        busy[practitioner_id].append((busy_start, busy_end))
    busy_starts = {pid: [s for s, _ in rows] for pid, rows in busy.items()}

    found = []
    for practitioner_id, slot_start, slot_end in slots:
        moment = _round_up(max(slot_start, window_start))
        rows = busy.get(practitioner_id, [])
        starts = busy_starts.get(practitioner_id, [])
        while moment + duration <= slot_end and moment < window_end:
            holds_until = moment + held
            # Active appointments never overlap each other, so of those starting
            # before holds_until only the latest can still run past `moment`.
            index = bisect_left(starts, holds_until)
            if index and rows[index - 1][1] > moment:
                moment = _round_up(rows[index - 1][1])
                continue
            found.append((practitioner_id, moment))
            moment += GRANULARITY
    return found


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
