"""Reads for the booking flow: offered start times, in a constant number of queries."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Min, Q

from booking.availability import (
    booking_window,
    clinic_zone,
    late_cancellation_from,
    open_start_times,
    request_confirmable_from,
)
from booking.caching import kept_open_starts
from booking.models import (
    AppointmentRequest,
    Confirmation,
    Notification,
    NotificationStatus,
    Practitioner,
    Treatment,
)
from clinic.identity import get_clinic

WEEK = 7

# Where a day's times are split for reading: before noon, before five, after.
PERIODS = [("Morning", time(0)), ("Afternoon", time(12)), ("Evening", time(17))]


@dataclass(frozen=True)
class OfferedTime:
    starts_at: datetime
    practitioner: Practitioner
    ends_at: datetime | None = None
    # Inside the late-cancellation window: it cannot be changed online once booked.
    late: bool = False

    @property
    def time_label(self) -> str:
        """ "09:30" in the clinic's zone: the picker shows dozens, so not through |date."""
        return self.starts_at.astimezone(clinic_zone()).strftime("%H:%M")


def practitioners_offering(*, treatment: Treatment) -> list[Practitioner]:
    return list(Practitioner.objects.active().filter(treatments=treatment).select_related("photo"))


def _window(*, start: date, days: int, now: datetime) -> tuple[datetime, datetime]:
    zone = clinic_zone()
    earliest, latest = booking_window(now=now)
    window_start = max(datetime.combine(start, time(0), tzinfo=zone), earliest)
    window_end = min(datetime.combine(start + timedelta(days=days), time(0), tzinfo=zone), latest)
    return window_start, window_end


def free_starts(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None,
    start: date,
    days: int,
    now: datetime,
    reuse: bool = False,
) -> tuple[dict[int, Practitioner], dict[datetime, int]]:
    """Who may see the patient, and each free start once with the first of them free then.

    Two queries for the practitioners' slots and appointments, plus one for the
    practitioners themselves. `reuse`: the starts may come from the cache (the
    time picker's pages; never a decision to book).
    """
    window_start, window_end = _window(start=start, days=days, now=now)
    if window_end <= window_start or not treatment.is_active:
        return {}, {}
    candidates = Practitioner.objects.active().filter(treatments=treatment)
    if practitioner is not None:
        candidates = candidates.filter(pk=practitioner.pk)
    practitioners = {p.pk: p for p in candidates}
    if not practitioners:
        return {}, {}
    # The team's order decides who is offered when several are free at once.
    order = {pk: index for index, pk in enumerate(practitioners)}
    starts: dict[datetime, int] = {}
    window = {"treatment": treatment, "window_start": window_start, "window_end": window_end}
    if reuse:
        found = kept_open_starts(practitioners=practitioners.values(), **window)
    else:
        found = open_start_times(practitioner_ids=practitioners, **window)
    for practitioner_id, moment in found:
        current = starts.get(moment)
        if current is None or order[practitioner_id] < order[current]:
            starts[moment] = practitioner_id
    return practitioners, starts


def offered_time(
    moment: datetime, practitioner: Practitioner, treatment: Treatment, late_before: datetime
) -> OfferedTime:
    return OfferedTime(
        starts_at=moment,
        practitioner=practitioner,
        ends_at=moment + timedelta(minutes=treatment.duration_minutes),
        late=moment < late_before,
    )


def available_start_times(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None = None,
    start: date,
    days: int,
    now: datetime,
) -> dict[date, list[OfferedTime]]:
    """Start times a patient may book, by local day, earliest first.

    With no practitioner ("first available") any practitioner who offers the
    treatment will do, and each time is listed once, with the first of them
    in the team's order. Three queries whatever the data size.
    """
    zone = clinic_zone()
    practitioners, starts = free_starts(
        treatment=treatment, practitioner=practitioner, start=start, days=days, now=now
    )
    late_before = late_cancellation_from(now=now)
    by_day: dict[date, list[OfferedTime]] = defaultdict(list)
    for moment in sorted(starts):
        by_day[moment.astimezone(zone).date()].append(
            offered_time(moment, practitioners[starts[moment]], treatment, late_before)
        )
    return dict(by_day)


def next_free_starts(
    *, treatment: Treatment, practitioners: list[Practitioner], now: datetime
) -> dict[int, datetime]:
    """Each practitioner's first free start for the treatment within the booking horizon."""
    if not practitioners:
        return {}
    today = now.astimezone(clinic_zone()).date()
    window_start, window_end = _window(
        start=today, days=get_clinic().booking_horizon_days + 1, now=now
    )
    confirmable = confirmable_from(treatment=treatment, needs_confirmation=None, now=now)
    first: dict[int, datetime] = {}
    for practitioner_id, moment in open_start_times(
        treatment=treatment,
        practitioner_ids=[p.pk for p in practitioners],
        window_start=max(window_start, confirmable),
        window_end=window_end,
    ):
        if practitioner_id not in first or moment < first[practitioner_id]:
            first[practitioner_id] = moment
    return first


def confirmable_from(
    *, treatment: Treatment, needs_confirmation: bool | None, now: datetime
) -> datetime:
    """From when a time can be offered as a request staff will confirm in time."""
    if needs_confirmation is None:
        needs_confirmation = treatment.requires_confirmation
    return request_confirmable_from(now=now) if needs_confirmation else now


def nearest_start_times(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None,
    around: datetime,
    now: datetime,
    limit: int = 6,
) -> list[OfferedTime]:
    """The free times nearest to one that was just taken, before or after, in time order."""
    zone = clinic_zone()
    day = around.astimezone(zone).date()
    first = max(day - timedelta(days=3), now.astimezone(zone).date())
    confirmable = confirmable_from(treatment=treatment, needs_confirmation=None, now=now)
    times = [
        offered
        for offered_day in available_start_times(
            treatment=treatment, practitioner=practitioner, start=first, days=14, now=now
        ).values()
        for offered in offered_day
        if offered.starts_at >= confirmable
    ]
    times.sort(key=lambda offered: (abs(offered.starts_at - around), offered.starts_at))
    return sorted(times[:limit], key=lambda offered: offered.starts_at)


def closest_of(times: list[OfferedTime], around: datetime) -> OfferedTime | None:
    return min(times, key=lambda offered: abs(offered.starts_at - around), default=None)


# --- The private manage pages ---------------------------------------------------------


def appointment_by_token_hash(token_hash: str) -> AppointmentRequest | None:
    return (
        AppointmentRequest.objects.select_related("treatment", "practitioner")
        .filter(manage_token_hash=token_hash)
        .first()
    )


def email_queue_report(now: datetime) -> dict:
    """For /healthz: how long the oldest e-mail still waiting to be sent has waited."""
    oldest = Notification.objects.filter(status=NotificationStatus.QUEUED).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    seconds = None if oldest is None else max(0, int((now - oldest).total_seconds()))
    return {"oldest_queued_email_seconds": seconds}


def team_next_free(*, practitioners: list[Practitioner], now: datetime) -> dict[int, datetime]:
    """Each practitioner's next free time for the clinic's shortest online treatment.

    Three queries whatever the size of the team: the treatment, then the
    slots and appointments of everyone at once (availability.open_start_times).
    """
    treatment = (
        Treatment.objects.active()
        .alias(always=Q(confirmation=Confirmation.ALWAYS))
        .order_by("always", "duration_minutes")
        .first()
    )
    if treatment is None:
        return {}
    return next_free_starts(treatment=treatment, practitioners=practitioners, now=now)
