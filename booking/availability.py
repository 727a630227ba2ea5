"""When patients may book and which times are free: the reads that writes and pages share.

The booking services check a start against these rules, the time picker and
the waitlist's offers list the starts they allow, and neither needs the other:
this module imports only models, so anything may import it.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from booking.models import AppointmentRequest, ClinicClosure, TimeSlot, Treatment
from clinic.identity import get_clinic


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in the clinic's zone.

    A time inside a spring-forward gap (which never happens on the clock)
    becomes the end of the gap; an ambiguous autumn time takes its first
    occurrence. Either way nothing is shifted by an hour or offered twice.
    """
    naive = datetime.combine(day, at)
    for minutes in range(0, 24 * 60, 1):
        wall = naive + timedelta(minutes=minutes)
        candidate = wall.replace(tzinfo=zone)
        if candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
            return candidate.astimezone(UTC)
    raise ValueError(f"No valid local time near {naive} in {zone}")


def booking_window(*, now: datetime) -> tuple[datetime, datetime]:
    """The earliest and the latest start a patient may book online right now."""
    clinic = get_clinic()
    earliest = now + timedelta(hours=clinic.min_notice_hours)
    last_day = now.astimezone(clinic_zone()).date() + timedelta(days=clinic.booking_horizon_days)
    latest = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=clinic_zone())
    return earliest, latest


def start_step(treatment: Treatment) -> timedelta:
    return timedelta(minutes=treatment.start_step_minutes or 15)


def on_step(moment: datetime, step: timedelta) -> bool:
    """True when the local wall-clock time is a whole number of steps past the hour."""
    local = moment.astimezone(clinic_zone())
    past_hour = timedelta(
        minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )
    return not past_hour % step


def late_cancellation_from(*, now: datetime) -> datetime:
    """Appointments starting before this cannot be changed or cancelled online."""
    return now + timedelta(hours=get_clinic().late_cancellation_hours)


def request_confirmable_from(*, now: datetime) -> datetime:
    """The earliest start staff can still confirm a request for.

    Staff confirm requests while the clinic is open, so the clinic's
    `request_notice_hours` are counted in opening hours (closures skipped)
    from now. Without opening hours on record they are counted on the clock.
    """
    clinic = get_clinic()
    needed = timedelta(hours=clinic.request_notice_hours)
    if not needed:
        return now
    if not clinic.intervals:
        return now + needed
    zone = clinic_zone()
    today = now.astimezone(zone).date()
    horizon = today + timedelta(days=clinic.booking_horizon_days + 7)
    closed = closed_days(first=today, last=horizon)
    day = today
    while day <= horizon:
        if day not in closed:
            for interval in clinic.intervals:
                if interval.weekday != day.weekday():
                    continue
                opens = max(local_instant(day, interval.opens, zone), now)
                closes = local_instant(day, interval.closes, zone)
                if closes <= opens:
                    continue
                if closes - opens >= needed:
                    return opens + needed
                needed -= closes - opens
        day += timedelta(days=1)
    return datetime.combine(horizon, time(0), tzinfo=zone)


def closed_days(*, first: date, last: date) -> set[date]:
    """The days in [first, last] on which the whole clinic is closed: one query."""
    closed: set[date] = set()
    for closure in ClinicClosure.objects.filter(starts_on__lte=last, ends_on__gte=first):
        day = max(closure.starts_on, first)
        while day <= min(closure.ends_on, last):
            closed.add(day)
            day += timedelta(days=1)
    return closed


def round_up(moment: datetime, step: timedelta) -> datetime:
    """The first start at or after `moment` that is a whole number of steps past the hour."""
    local = moment.astimezone(clinic_zone())
    past = timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
    remainder = past % step
    return moment if not remainder else moment + (step - remainder)


def open_start_times(
    *,
    treatment: Treatment,
    practitioner_ids: Iterable[int],
    window_start: datetime,
    window_end: datetime,
    ignore_appointment_id: int | None = None,
) -> Iterator[tuple[int, datetime]]:
    """(practitioner id, start) for every free start in the window: two queries.

    Candidates sit on the treatment's step inside unblocked slots; a candidate
    is free when the treatment ends inside the slot and the time it holds
    (buffer included) overlaps no active appointment but `ignore_appointment_id`
    (the one being moved). The callers decide the window: online, the booking
    window; staff, from now on.
    """
    practitioner_ids = list(practitioner_ids)
    step = start_step(treatment)
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

    for practitioner_id, slot_start, slot_end in slots:
        moment = round_up(max(slot_start, window_start), step)
        rows = busy.get(practitioner_id, [])
        starts = busy_starts.get(practitioner_id, [])
        while moment + duration <= slot_end and moment < window_end:
            # Active appointments never overlap each other, so of those starting
            # before this one would end only the latest can still run past `moment`.
            index = bisect_left(starts, moment + held)
            if index and rows[index - 1][1] > moment:
                moment = round_up(rows[index - 1][1], step)
                continue
            yield practitioner_id, moment
            moment += step
