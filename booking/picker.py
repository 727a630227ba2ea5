"""The time picker's week: a strip of days, each with its count of free times, and
the chosen day's times in morning, afternoon and evening (read by booking.views
and the manage page's "change the time"). Offered times come from booking.selectors."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.availability import (
    booking_window,
    clinic_zone,
    late_cancellation_from,
)
from booking.models import (
    Practitioner,
    TimeSlot,
    Treatment,
)
from booking.selectors import (
    PERIODS,
    WEEK,
    OfferedTime,
    confirmable_from,
    free_starts,
    offered_time,
)
from clinic.identity import get_clinic


@dataclass
class Period:
    name: str
    times: list[OfferedTime]


@dataclass
class PickerDay:
    day: date
    periods: list[Period] = field(default_factory=list)
    # Times held back because staff could not confirm a request for them in time.
    phone_only: bool = False


@dataclass
class StripDay:
    """One day in the picker's strip of days: what a patient finds on it at a glance."""

    TIMES, FULL, PHONE, NONE = "times", "full", "phone", "none"

    day: date
    count: int  # free times offered online
    state: str  # TIMES; FULL (the practitioner works, every time taken); PHONE; NONE
    selected: bool = False

    @property
    def description(self) -> str:
        """What a screen reader says after the day's name."""
        if self.state == self.TIMES:
            return f"{self.count} free time{'s' if self.count != 1 else ''}"
        if self.state == self.FULL:
            return "fully booked"
        if self.state == self.PHONE:
            return "too soon to book online: phone us"
        return "no times"


@dataclass
class PickerWeek:
    first_day: date
    last_shown: date
    days: list[PickerDay]  # the days of the week shown that have times (or "phone us")
    earlier: date | None
    later: date | None
    today: date
    last_day: date
    any_late: bool
    late_hours: int
    strip: list[StripDay] = field(default_factory=list)  # every day of the week shown
    selected: StripDay | None = None
    selected_day: PickerDay | None = None  # its times, when it has any
    nearest: list[StripDay] = field(default_factory=list)  # days with times around a full one

    @property
    def full_days(self) -> list[StripDay]:
        return [day for day in self.strip if day.state == StripDay.FULL]

    @property
    def has_times(self) -> bool:
        return any(day.state == StripDay.TIMES for day in self.strip)


def period_of(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """ "Morning", "Afternoon" or "Evening": where the time picker lists `moment`."""
    local = moment.astimezone(zone or clinic_zone()).time()
    return next(name for name, begins in reversed(PERIODS) if local >= begins)


def _periods(times: list[OfferedTime], zone: ZoneInfo) -> list[Period]:
    periods: list[Period] = []
    for offered in times:
        name = period_of(offered.starts_at, zone)
        if not periods or periods[-1].name != name:
            periods.append(Period(name=name, times=[]))
        periods[-1].times.append(offered)
    return periods


def _working_days(*, practitioner_ids, first: date, end: date, zone: ZoneInfo) -> set[date]:
    """The days in [first, end) on which one of these practitioners has bookable hours."""
    window_start = datetime.combine(first, time(0), tzinfo=zone)
    window_end = datetime.combine(end, time(0), tzinfo=zone)
    days = set()
    for slot_start, slot_end in TimeSlot.objects.filter(
        practitioner_id__in=list(practitioner_ids),
        is_blocked=False,
        starts_at__lt=window_end,
        ends_at__gt=window_start,
    ).values_list("starts_at", "ends_at"):
        day = max(slot_start, window_start).astimezone(zone).date()
        last = (min(slot_end, window_end) - timedelta(microseconds=1)).astimezone(zone).date()
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return days


def _strip(
    *, first: date, end: date, counts: dict[date, int], phone_days: set[date], working: set[date]
) -> list[StripDay]:
    strip = []
    day = first
    while day < end:
        if counts.get(day):
            state = StripDay.TIMES
        elif day in phone_days:
            state = StripDay.PHONE
        elif day in working:
            state = StripDay.FULL
        else:
            state = StripDay.NONE
        strip.append(StripDay(day=day, count=counts.get(day, 0), state=state))
        day += timedelta(days=1)
    return strip


def _nearest_days(around: date, counts: dict[date, int], *, limit: int = 2) -> list[StripDay]:
    """The days with times closest to `around`, before or after, in date order."""
    closest = sorted(
        (day for day, count in counts.items() if count),
        key=lambda day: (abs((day - around).days), day),
    )[:limit]
    return [StripDay(day=day, count=counts[day], state=StripDay.TIMES) for day in sorted(closest)]


@dataclass
class _Horizon:
    """Every free start from today to the booking horizon's last day, sorted into days."""

    today: date
    last_day: date
    practitioners: dict[int, Practitioner]
    starts: dict[datetime, int]  # each free start, with who is offered then
    starts_by_day: dict[date, list[datetime]]  # the starts offered online
    phone_days: set[date]  # days of requests held back: "phone us"
    offered_days: list[date]  # the days with either, in order
    counts: dict[date, int]  # free times offered online, per day


def _horizon(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None,
    needs_confirmation: bool | None,
    phone_setting: str,
    zone: ZoneInfo,
    now: datetime,
    reuse: bool,
) -> _Horizon:
    """The whole booking horizon, read at once (three queries), sorted into days.

    The whole horizon decides where "Earlier" and "Later" lead, but only the
    week shown needs its times as OfferedTime: `_picker_days` builds them.
    """
    today = now.astimezone(zone).date()
    _earliest, latest = booking_window(now=now)
    last_day = (latest - timedelta(seconds=1)).astimezone(zone).date()
    practitioners, starts = free_starts(
        treatment=treatment,
        practitioner=practitioner,
        start=today,
        days=(last_day - today).days + 1,
        now=now,
        reuse=reuse,
    )
    confirmable = confirmable_from(
        treatment=treatment, needs_confirmation=needs_confirmation, now=now
    )
    phone_held_back = confirmable > now and phone_setting == "phone"
    starts_by_day: dict[date, list[datetime]] = defaultdict(list)
    phone_days: set[date] = set()
    for moment in sorted(starts):
        moment_day = moment.astimezone(zone).date()
        if moment >= confirmable:
            starts_by_day[moment_day].append(moment)
        elif phone_held_back:
            phone_days.add(moment_day)
    offered_days = sorted(starts_by_day.keys() | phone_days)
    counts = {offered_day: len(moments) for offered_day, moments in starts_by_day.items()}
    return _Horizon(
        today, last_day, practitioners, starts, starts_by_day, phone_days, offered_days, counts
    )


def _picker_days(
    horizon: _Horizon,
    *,
    treatment: Treatment,
    first: date,
    end: date,
    zone: ZoneInfo,
    now: datetime,
) -> list[PickerDay]:
    """The days of the week shown with times or "phone us", their times split into periods."""
    late_before = late_cancellation_from(now=now)
    offered_by = horizon.practitioners
    return [
        PickerDay(
            day=offered_day,
            periods=_periods(
                [
                    offered_time(moment, offered_by[horizon.starts[moment]], treatment, late_before)
                    for moment in horizon.starts_by_day.get(offered_day, [])
                ],
                zone,
            ),
            phone_only=offered_day in horizon.phone_days,
        )
        for offered_day in horizon.offered_days
        if first <= offered_day < end
    ]


def _week_strip(
    horizon: _Horizon,
    *,
    first: date,
    end: date,
    day: date | None,
    zone: ZoneInfo,
    working: set[date] | None = None,
) -> tuple[list[StripDay], StripDay | None]:
    """Every day of the week shown (one query for the days worked, unless `working` holds
    them already), and the one selected: `day` when it is in the week, else the first
    with times."""
    if working is None:
        working = (
            _working_days(practitioner_ids=horizon.practitioners, first=first, end=end, zone=zone)
            if horizon.practitioners
            else set()
        )
    strip = _strip(
        first=first,
        end=end,
        counts=horizon.counts,
        phone_days=horizon.phone_days,
        working=working,
    )
    selected = next((s for s in strip if s.day == day), None) or next(
        (s for s in strip if s.state == StripDay.TIMES), strip[0] if strip else None
    )
    if selected is not None:
        selected.selected = True
    return strip, selected


def time_picker_week(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None,
    week: date | None,
    now: datetime,
    needs_confirmation: bool | None = None,
    day: date | None = None,
    reuse: bool = False,
) -> PickerWeek:
    """Seven days of offered times, from `week` (or `day`), or from the first day with any
    (or the first fully booked day before it, from tomorrow on).

    Every day of the week is in the strip, with its count of free times, or
    "full" when the practitioner works that day but every time is taken, so
    a full day never silently vanishes. One day's times are shown: `day`
    when it is in the week, else the first with times; a chosen day without
    times comes with the nearest days that have some.

    The whole booking horizon is read at once (three queries, and one for the
    week's working days), so "Earlier" and "Later" appear only where there is
    something to go to and lead straight to it. Requests staff could not
    confirm before they start are left out, and the day says "phone us"
    instead when the clinic's setting asks for it. `reuse`: the free times may
    come from the cache (pages only; never when deciding whether a time is free).
    """
    zone = clinic_zone()
    clinic = get_clinic()
    horizon = _horizon(
        treatment=treatment,
        practitioner=practitioner,
        needs_confirmation=needs_confirmation,
        phone_setting=clinic.short_notice_requests,
        zone=zone,
        now=now,
        reuse=reuse,
    )
    if week is None and day is not None:
        week = day
    working = None  # the days worked, when already read
    if week is None:
        first = horizon.offered_days[0] if horizon.offered_days else horizon.today
        tomorrow = horizon.today + timedelta(days=1)
        if horizon.practitioners and first > tomorrow:
            # Days worked but fully booked before the first free one start the week,
            # so that the nearest full day never vanishes from the strip (today is
            # left out: its hours may just be over, which is not "full"). One read
            # of the days worked serves the strip too.
            working = _working_days(
                practitioner_ids=horizon.practitioners,
                first=tomorrow,
                end=first + timedelta(WEEK),
                zone=zone,
            )
            first = min((d for d in working if d < first), default=first)
    else:
        first = min(max(week, horizon.today), horizon.last_day)
    end = min(first + timedelta(WEEK), horizon.last_day + timedelta(days=1))
    days = _picker_days(horizon, treatment=treatment, first=first, end=end, zone=zone, now=now)
    strip, selected = _week_strip(
        horizon, first=first, end=end, day=day, zone=zone, working=working
    )
    before = [d for d in horizon.offered_days if d < first]
    after = [d for d in horizon.offered_days if d >= end]
    return PickerWeek(
        first_day=first,
        last_shown=end - timedelta(days=1),
        days=days,
        earlier=max(before[-1] - timedelta(WEEK - 1), horizon.today) if before else None,
        later=after[0] if after else None,
        today=horizon.today,
        last_day=horizon.last_day,
        any_late=any(t.late for d in days for p in d.periods for t in p.times),
        late_hours=clinic.late_cancellation_hours,
        strip=strip,
        selected=selected,
        selected_day=next((d for d in days if selected and d.day == selected.day), None),
        nearest=_nearest_days(selected.day, horizon.counts)
        if selected is not None and selected.state != StripDay.TIMES
        else [],
    )
