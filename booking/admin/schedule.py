"""The staff schedule: who is booked, free or blocked, in the clinic's zone.

The day page is a grid proportional to time: one row per start-time step, and
each appointment, free stretch or blocked stretch spans the rows of its time.
Only practitioners who work that day get a column, and free time too short for
any of their treatments is not offered. Three queries build it whatever the
number of practitioners or appointments: practitioners (with their
treatments), appointments, slots.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from booking.admin.pages import AdminPageView, parse_day
from booking.admin.scoping import scope_to_user
from booking.availability import clinic_zone
from booking.intervals import subtract
from booking.models import (
    ACTIVE_STATUSES,
    AppointmentRequest,
    AppointmentStatus,
    Practitioner,
    TimeSlot,
    Treatment,
)
from booking.selectors import open_start_times
from booking.services import GRANULARITY
from clinic.identity import get_clinic

# Shown on the schedule; declined and cancelled requests no longer hold time.
SHOWN_STATUSES = [*ACTIVE_STATUSES, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW]
DEFAULT_FIRST_HOUR = 8
DEFAULT_LAST_HOUR = 19  # exclusive
# Rows never get finer than this, whatever odd minute a booking starts at.
FINEST_STEP_MINUTES = 5
# Years a chosen time may fall in: far beyond any diary, never near date's limits.
FIRST_OPEN_YEAR, LAST_OPEN_YEAR = 2000, 2099


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clinic_zone())


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def practitioners_for_schedule(user) -> list[Practitioner]:
    """Active practitioners the user may see, each with their active treatments (2 queries)."""
    queryset = (
        Practitioner.objects.active()
        .order_by("sort_order", "name")
        .prefetch_related(Prefetch("treatments", queryset=Treatment.objects.active()))
    )
    return list(scope_to_user(queryset, user, practitioner_path=""))


def fits(treatment: Treatment, room: timedelta, *, before_appointment: bool) -> bool:
    """Whether the treatment fits in `room` (with its cleaning-up time before a booking)."""
    needed = treatment.duration_minutes
    if before_appointment:
        needed += treatment.buffer_after_minutes
    return timedelta(minutes=needed) <= room


def shortest(practitioner: Practitioner, *, before_appointment: bool) -> timedelta:
    """The least time any treatment of the practitioner needs: less is no use."""
    minutes = [
        t.duration_minutes + (t.buffer_after_minutes if before_appointment else 0)
        for t in practitioner.treatments.all()
    ]
    return timedelta(minutes=min(minutes, default=int(GRANULARITY.total_seconds() // 60)))


@dataclass
class Entry:
    """One thing in a practitioner's day: an appointment, free time or blocked time."""

    kind: str  # "appointment", "free" or "blocked"
    starts_at: datetime  # in the clinic's zone
    ends_at: datetime
    appointment: AppointmentRequest | None = None
    slot: TimeSlot | None = None
    # Block/unblock buttons are shown once per slot, on its first piece.
    first_of_slot: bool = False
    # Free time that ends where an appointment begins: cleaning-up time must fit too.
    before_appointment: bool = False

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass
class Cell:
    entries: list[Entry] = field(default_factory=list)

    @property
    def appointments(self) -> list[Entry]:
        return [e for e in self.entries if e.kind == "appointment"]

    @property
    def free(self) -> list[Entry]:
        return [e for e in self.entries if e.kind == "free"]

    @property
    def blocked(self) -> list[Entry]:
        return [e for e in self.entries if e.kind == "blocked"]


def entries_by_practitioner_and_day(
    *,
    practitioners: list[Practitioner],
    appointments: QuerySet,
    start_day: date,
    days: int,
) -> dict[tuple[int, date], Cell]:
    """Each practitioner's entries for each day, keyed by (practitioner id, local date).

    A practitioner works on a day when they have a slot or an appointment on
    it: only those days get a cell. Free time shorter than the practitioner's
    shortest treatment is left out.
    """
    zone = clinic_zone()
    range_start = local_midnight(start_day)
    range_end = local_midnight(start_day + timedelta(days=days))
    by_id = {p.pk: p for p in practitioners}

    appointment_list = list(
        appointments.filter(
            practitioner_id__in=list(by_id),
            status__in=SHOWN_STATUSES,
            starts_at__lt=range_end,
            ends_at__gt=range_start,
        )
        .select_related("treatment", "patient")
        .order_by("starts_at")
    )
    slots = list(
        TimeSlot.objects.filter(
            practitioner_id__in=list(by_id), starts_at__lt=range_end, ends_at__gt=range_start
        ).order_by("starts_at")
    )

    cells: dict[tuple[int, date], Cell] = defaultdict(Cell)
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for appointment in appointment_list:
        starts = appointment.starts_at.astimezone(zone)
        ends = appointment.ends_at.astimezone(zone)
        cells[(appointment.practitioner_id, starts.date())].entries.append(
            Entry("appointment", starts, ends, appointment=appointment)
        )
        busy[appointment.practitioner_id].append(
            (appointment.starts_at, appointment.occupied_until)
        )

    for slot in slots:
        slot_start = max(slot.starts_at, range_start)
        slot_end = min(slot.ends_at, range_end)
        kind = "blocked" if slot.is_blocked else "free"
        practitioner = by_id[slot.practitioner_id]
        # A slot is worked time even when it is all booked: its day gets a cell.
        cells[(slot.practitioner_id, slot_start.astimezone(zone).date())]
        first = True
        for piece_start, piece_end in subtract(
            [(slot_start, slot_end)], busy[slot.practitioner_id]
        ):
            before_appointment = piece_end < slot_end
            if kind == "free" and piece_end - piece_start < shortest(
                practitioner, before_appointment=before_appointment
            ):
                continue
            local_start, local_end = piece_start.astimezone(zone), piece_end.astimezone(zone)
            cells[(slot.practitioner_id, local_start.date())].entries.append(
                Entry(
                    kind,
                    local_start,
                    local_end,
                    slot=slot,
                    first_of_slot=first,
                    before_appointment=before_appointment,
                )
            )
            first = False

    for cell in cells.values():
        cell.entries.sort(key=lambda e: (e.starts_at, e.kind != "appointment"))
    return cells


# --- The day grid ----------------------------------------------------------------------


@dataclass
class GridCell:
    """A table cell that starts at one row and spans `rows` rows of the day grid."""

    kind: str  # "appointment", "free", "blocked" or "gap"
    rows: int = 1
    entries: list[Entry] = field(default_factory=list)  # appointments that overlap
    entry: Entry | None = None  # the free or blocked stretch
    # Free time: each start a phone-in booking can take, with the form's link.
    book: list[tuple[datetime, str]] = field(default_factory=list)


@dataclass
class DayRow:
    starts_at: datetime  # in the clinic's zone
    cells: list[tuple[Practitioner, GridCell]]

    @property
    def label(self) -> str:
        return f"{self.starts_at:%H:%M}"

    @property
    def is_hour(self) -> bool:
        return self.starts_at.minute == 0

    @property
    def on_step(self) -> bool:
        """Rows on the start-time step are labelled; finer rows only for screen readers."""
        return not (self.starts_at.minute * 60) % GRANULARITY.total_seconds()


@dataclass
class DayGrid:
    practitioners: list[Practitioner]  # those who work that day
    rows: list[DayRow]
    step_minutes: int


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _book_url(practitioner: Practitioner, at: datetime, entry: Entry) -> str:
    """The phone-in form for this time, with the first treatment that fits there."""
    query = {
        "practitioner": practitioner.pk,
        "date": at.date().isoformat(),
        "start_time": f"{at:%H:%M}",
    }
    room = entry.ends_at - at
    fitting = [
        t
        for t in practitioner.treatments.all()
        if fits(t, room, before_appointment=entry.before_appointment)
    ]
    if fitting:
        query["treatment"] = fitting[0].pk
    return f"{reverse('admin:booking_appointmentrequest_phone_in')}?{urlencode(query)}"


def _starts_within(first: datetime, last: datetime) -> list[datetime]:
    """The stretch's own start, then every start-time step up to `last` (clinic zone)."""
    starts = [first] if first <= last else []
    step = GRANULARITY
    moment = first + (step - (first - first.replace(hour=0, minute=0)) % step) % step
    if moment == first:
        moment += step
    while moment <= last:
        starts.append(moment)
        moment += step
    return starts


def _clusters(appointments: list[Entry]) -> list[list[Entry]]:
    """Appointments grouped where they overlap (a no-show and the booking made in its time)."""
    groups: list[list[Entry]] = []
    for entry in appointments:
        if groups and entry.starts_at < max(e.ends_at for e in groups[-1]):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def day_grid(
    *,
    practitioners: list[Practitioner],
    appointments: QuerySet,
    day: date,
    opening_hours,
    can_book: bool = False,
) -> DayGrid:
    """The day as rows of one step each; every stretch of time spans its rows."""
    cells = entries_by_practitioner_and_day(
        practitioners=practitioners, appointments=appointments, start_day=day, days=1
    )
    working = [p for p in practitioners if (p.pk, day) in cells]
    entries = [e for p in working for e in cells[(p.pk, day)].entries]

    zone = clinic_zone()
    weekday_hours = [i for i in opening_hours if i.weekday == day.weekday()]
    first_hour = min((i.opens.hour for i in weekday_hours), default=DEFAULT_FIRST_HOUR)
    last_hour = max(
        (i.closes.hour + (1 if i.closes.minute else 0) for i in weekday_hours),
        default=DEFAULT_LAST_HOUR,
    )
    first = datetime.combine(day, time(first_hour), tzinfo=zone)
    last = datetime.combine(day, time(0), tzinfo=zone) + timedelta(hours=last_hour)
    if entries:
        first = min(first, _hour_of(min(e.starts_at for e in entries)))
        latest = max(e.ends_at for e in entries)
        last = max(last, _hour_of(latest) + (timedelta(hours=1) if latest.minute else timedelta()))
    # Rows at the clinic's start-time step, finer only where a booking needs it.
    step = _minutes(GRANULARITY)
    for entry in entries:
        for moment in (entry.starts_at, entry.ends_at):
            step = math.gcd(step, _minutes(moment - first))
    step = max(step, FINEST_STEP_MINUTES)
    first_utc, last_utc = first.astimezone(UTC), last.astimezone(UTC)
    count = max(1, math.ceil((last_utc - first_utc) / timedelta(minutes=step)))
    row_times = [(first_utc + n * timedelta(minutes=step)).astimezone(zone) for n in range(count)]

    def row_of(moment: datetime) -> int:
        offset = (moment.astimezone(UTC) - first_utc) / timedelta(minutes=step)
        return min(max(int(offset), 0), count)

    starting: dict[int, list[tuple[Practitioner, GridCell]]] = defaultdict(list)
    for practitioner in working:
        cell = cells[(practitioner.pk, day)]
        placed: list[tuple[int, int, GridCell]] = []
        for group in _clusters(cell.appointments):
            top = row_of(group[0].starts_at)
            bottom = max(row_of(max(e.ends_at for e in group)), top + 1)
            placed.append((top, bottom, GridCell("appointment", rows=bottom - top, entries=group)))
        for entry in cell.blocked:
            top, bottom = row_of(entry.starts_at), row_of(entry.ends_at)
            if bottom > top:
                placed.append((top, bottom, GridCell("blocked", rows=bottom - top, entry=entry)))
        for entry in cell.free:
            top, bottom = row_of(entry.starts_at), row_of(entry.ends_at)
            if bottom <= top:
                continue
            last_start = entry.ends_at - shortest(
                practitioner, before_appointment=entry.before_appointment
            )
            book = (
                [
                    (at, _book_url(practitioner, at, entry))
                    for at in _starts_within(entry.starts_at, last_start)
                ]
                if can_book
                else []
            )
            placed.append(
                (top, bottom, GridCell("free", rows=bottom - top, entry=entry, book=book))
            )
        placed.sort(key=lambda item: item[0])
        cursor = 0
        for top, bottom, grid_cell in placed:
            if top < cursor:  # never two cells in one place
                continue
            if top > cursor:
                starting[cursor].append((practitioner, GridCell("gap", rows=top - cursor)))
            starting[top].append((practitioner, grid_cell))
            cursor = bottom
        if cursor < count:
            starting[cursor].append((practitioner, GridCell("gap", rows=count - cursor)))

    rows = [DayRow(starts_at=row_times[n], cells=starting.get(n, [])) for n in range(count)]
    return DayGrid(practitioners=working, rows=rows, step_minutes=step)


# --- The week ------------------------------------------------------------------------


@dataclass
class WeekRow:
    day: date
    cells: list[tuple[Practitioner, Cell | None]]  # None: not working that day


def week_grid(
    *, practitioners: list[Practitioner], appointments: QuerySet, monday: date
) -> tuple[list[Practitioner], list[WeekRow]]:
    """A row per day of the week, a cell per practitioner who works that week."""
    cells = entries_by_practitioner_and_day(
        practitioners=practitioners, appointments=appointments, start_day=monday, days=7
    )
    days = [monday + timedelta(days=n) for n in range(7)]
    working = [p for p in practitioners if any((p.pk, d) in cells for d in days)]
    rows = [WeekRow(day=d, cells=[(p, cells.get((p.pk, d))) for p in working]) for d in days]
    return working, rows


# --- Free start times for staff (moves, phone-in suggestions) --------------------------


@dataclass(frozen=True)
class OpenTime:
    practitioner: Practitioner
    starts_at: datetime  # in the clinic's zone

    @property
    def value(self) -> str:
        """How a form names this choice: practitioner id and the start, to the minute."""
        return f"{self.practitioner.pk}@{self.starts_at:%Y-%m-%dT%H:%M}"


_OPEN_TIME = re.compile(r"^(\d{1,18})@(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$")


def parse_open_time(value: str, practitioners: list[Practitioner]) -> OpenTime | None:
    """The OpenTime a form's value names, if its practitioner is one of `practitioners`."""
    match = _OPEN_TIME.match(value or "")
    if not match:
        return None
    by_id = {p.pk: p for p in practitioners}
    practitioner = by_id.get(int(match[1]))
    try:
        starts_at = datetime.combine(
            date.fromisoformat(match[2]), time.fromisoformat(match[3]), tzinfo=clinic_zone()
        )
    except ValueError:
        return None
    if practitioner is None or not FIRST_OPEN_YEAR <= starts_at.year <= LAST_OPEN_YEAR:
        return None
    return OpenTime(practitioner, starts_at)


def open_times(
    *,
    treatment: Treatment,
    practitioners: list[Practitioner],
    start: datetime,
    end: datetime,
    now: datetime,
    ignore_appointment_id: int | None = None,
) -> list[OpenTime]:
    """Where staff can put `treatment`: every practitioner's free starts, from now on.

    Staff are not held to the online notice period or booking horizon; blocked
    time is never offered. Sorted by time, then by the practitioners' order.
    """
    zone = clinic_zone()
    by_id = {p.pk: p for p in practitioners if treatment in p.treatments.all()}
    if not by_id or end <= max(start, now):
        return []
    order = {pk: n for n, pk in enumerate(by_id)}
    found = list(
        open_start_times(
            treatment=treatment,
            practitioner_ids=list(by_id),
            window_start=max(start, now),
            window_end=end,
            ignore_appointment_id=ignore_appointment_id,
        )
    )
    found.sort(key=lambda item: (item[1], order[item[0]]))
    return [OpenTime(by_id[pk], moment.astimezone(zone)) for pk, moment in found]


def nearest_open_times(
    *,
    treatment: Treatment,
    practitioners: list[Practitioner],
    around: datetime,
    now: datetime,
    ignore_appointment_id: int | None = None,
    each: int = 3,
) -> list[OpenTime]:
    """The free starts closest to a time that could not be had: a few per practitioner."""
    times = open_times(
        treatment=treatment,
        practitioners=practitioners,
        start=around - timedelta(days=3),
        end=around + timedelta(days=7),
        now=now,
        ignore_appointment_id=ignore_appointment_id,
    )
    times.sort(key=lambda t: (abs(t.starts_at - around), t.starts_at))
    taken: dict[int, int] = defaultdict(int)
    nearest = []
    for option in times:
        if taken[option.practitioner.pk] < each:
            taken[option.practitioner.pk] += 1
            nearest.append(option)
    return sorted(nearest, key=lambda t: (t.starts_at, t.practitioner.sort_order))


def clash_with(
    *, practitioner: Practitioner, starts_at: datetime, treatment: Treatment, ignore_id=None
) -> AppointmentRequest | None:
    """The active appointment that holds time the given booking would need."""
    ends = starts_at + timedelta(
        minutes=treatment.duration_minutes + treatment.buffer_after_minutes
    )
    return (
        AppointmentRequest.objects.active()
        .filter(practitioner=practitioner)
        .overlapping(starts_at=starts_at, occupied_until=ends)
        .exclude(pk=ignore_id)
        .order_by("starts_at")
        .first()
    )


def clash_message(*, practitioner: Practitioner, clash: AppointmentRequest | None) -> str:
    """A clash, named by the other appointment's time, as a form error says it."""
    if clash is None:
        return _("%(practitioner)s already has an appointment at that time.") % {
            "practitioner": practitioner
        }
    zone = clinic_zone()
    starts, ends = clash.starts_at.astimezone(zone), clash.ends_at.astimezone(zone)
    message = _(
        "%(practitioner)s already has an appointment at that time: %(day)s, %(start)s–%(end)s."
    ) % {
        "practitioner": practitioner,
        "day": f"{starts:%a %-d %b}",
        "start": f"{starts:%H:%M}",
        "end": f"{ends:%H:%M}",
    }
    if clash.occupied_until > clash.ends_at:
        free = clash.occupied_until.astimezone(zone)
        message = message[:-1] + _(" (free again at %(time)s).") % {"time": f"{free:%H:%M}"}
    return message


# --- The day and week pages ----------------------------------------------------


class ScheduleMixin(AdminPageView):
    def dispatch(self, request, *args, **kwargs):
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def practitioners(self):
        return practitioners_for_schedule(self.request.user)

    def common(self, day: date, *, week: bool):
        user = self.request.user
        return {
            "day": day,
            "today": timezone.localdate(),
            "day_url": reverse("admin:booking_schedule_day"),
            "week_url": reverse("admin:booking_schedule_week"),
            "changelist_url": reverse("admin:booking_appointmentrequest_changelist"),
            "phone_in_url": reverse("admin:booking_appointmentrequest_phone_in"),
            "can_book": self.model_admin.has_add_permission(self.request),
            "can_move": self.model_admin.has_change_permission(self.request),
            "can_block": user.has_perm("booking.change_timeslot"),
            "view_name": "week" if week else "day",
            "time_zone": timezone.get_current_timezone_name(),
            "statuses": [AppointmentStatus(s) for s in SHOWN_STATUSES],
            "media": self.model_admin.media,
        }


class ScheduleDayView(ScheduleMixin):
    title = "Schedule"

    def get(self, request):
        day = parse_day(request.GET.get("date"))
        common = self.common(day, week=False)
        grid = day_grid(
            practitioners=self.practitioners(),
            appointments=self.model_admin.get_queryset(request),
            day=day,
            opening_hours=get_clinic().intervals,
            can_book=common["can_book"],
        )
        return self.render(
            "admin/booking/schedule_day.html",
            **common,
            title=_("Schedule for %(day)s") % {"day": f"{day:%A %-d %B %Y}"},
            practitioners=grid.practitioners,
            rows=grid.rows,
            step_minutes=grid.step_minutes,
            previous_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
        )


class ScheduleWeekView(ScheduleMixin):
    title = "Week schedule"

    def get(self, request):
        day = parse_day(request.GET.get("date"))
        monday = week_start(day)
        practitioners, rows = week_grid(
            practitioners=self.practitioners(),
            appointments=self.model_admin.get_queryset(request),
            monday=monday,
        )
        sunday = monday + timedelta(days=6)
        return self.render(
            "admin/booking/schedule_week.html",
            **self.common(monday, week=True),
            title=_("Schedule for the week of %(day)s") % {"day": f"{monday:%-d %B %Y}"},
            practitioners=practitioners,
            rows=rows,
            monday=monday,
            sunday=sunday,
            previous_week=monday - timedelta(days=7),
            next_week=monday + timedelta(days=7),
        )
