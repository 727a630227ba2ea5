"""The schedule's layout: each practitioner's appointments, free and blocked time, as grids.

The day is a grid proportional to time: one row per start-time step, and each
appointment, free stretch or blocked stretch spans the rows of its time. Only
practitioners who work that day get a column, and free time too short for any
of their treatments is not offered. Three queries build it whatever the number
of practitioners or appointments: practitioners (with their treatments),
appointments, slots (schedule_reads.py). The week is a row per day, a cell per
practitioner.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from booking.admin.schedule_reads import (
    appointments_in_range,
    local_midnight,
    slots_in_range,
    usual_treatments,
)
from booking.availability import clinic_zone
from booking.intervals import subtract
from booking.models import AppointmentRequest, Practitioner, TimeSlot, Treatment
from booking.services import GRANULARITY

DEFAULT_FIRST_HOUR = 8
DEFAULT_LAST_HOUR = 19  # exclusive
# Rows never get finer than this, whatever odd minute a booking starts at.
FINEST_STEP_MINUTES = 5


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

    appointment_list = appointments_in_range(
        appointments, practitioner_ids=list(by_id), start=range_start, end=range_end
    )
    slots = slots_in_range(practitioner_ids=list(by_id), start=range_start, end=range_end)

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
    starts_at: datetime | None = None  # the cell's first row, in the clinic's zone

    @property
    def drop_at(self) -> str:
        """The first row's start as the browser names a drop there: date and time."""
        return f"{self.starts_at:%Y-%m-%dT%H:%M}" if self.starts_at else ""


@dataclass
class DayRow:
    starts_at: datetime  # in the clinic's zone
    # (practitioner, cell) in the day; (day, cell) in a practitioner's week.
    cells: list[tuple[Practitioner | date, GridCell]]

    @property
    def label(self) -> str:
        return f"{self.starts_at:%H:%M}"

    @property
    def is_hour(self) -> bool:
        return self.starts_at.minute == 0

    @property
    def is_half_hour(self) -> bool:
        """Rows labelled on screen: the hours and half hours (every row is for screen readers)."""
        return self.starts_at.minute in (0, 30)

    @property
    def on_step(self) -> bool:
        """Rows on the start-time step are labelled; finer rows only for screen readers."""
        return not (self.starts_at.minute * 60) % GRANULARITY.total_seconds()


@dataclass
class DayGrid:
    practitioners: list[Practitioner]  # those who work that day
    rows: list[DayRow]
    step_minutes: int


@dataclass(frozen=True)
class RowScale:
    """The day's rows: `count` rows of `step` minutes each, counted in UTC from the first."""

    first_utc: datetime
    step: int
    count: int

    def row_of(self, moment: datetime) -> int:
        offset = (moment.astimezone(UTC) - self.first_utc) / timedelta(minutes=self.step)
        return min(max(int(offset), 0), self.count)

    def row_times(self) -> list[datetime]:
        """When each row starts, in the clinic's zone."""
        zone = clinic_zone()
        step = timedelta(minutes=self.step)
        return [(self.first_utc + n * step).astimezone(zone) for n in range(self.count)]


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _book_url(practitioner: Practitioner, at: datetime, entry: Entry, usual: list[int]) -> str:
    """The phone-in form for this time, with the treatment the practitioner usually gives
    that fits there (else their first that fits)."""
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
        rank = {treatment_id: n for n, treatment_id in enumerate(usual)}
        chosen = min(fitting, key=lambda t: rank.get(t.pk, len(rank)))
        query["treatment"] = chosen.pk
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


def _day_span(day: date, opening_hours, entries: list[Entry]) -> tuple[datetime, datetime]:
    """The hours shown: the day's opening hours, widened to whole hours around every entry."""
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
    return first, last


def _row_scale(first: datetime, last: datetime, entries: list[Entry]) -> RowScale:
    """Rows at the clinic's start-time step, finer only where a booking needs it."""
    step = _minutes(GRANULARITY)
    for entry in entries:
        for moment in (entry.starts_at, entry.ends_at):
            step = math.gcd(step, _minutes(moment - first))
    step = max(step, FINEST_STEP_MINUTES)
    first_utc, last_utc = first.astimezone(UTC), last.astimezone(UTC)
    count = max(1, math.ceil((last_utc - first_utc) / timedelta(minutes=step)))
    return RowScale(first_utc=first_utc, step=step, count=count)


def _book_times(
    practitioner: Practitioner, entry: Entry, usual: list[int]
) -> list[tuple[datetime, str]]:
    """Each start a phone-in booking can take in a free stretch, with the form's link."""
    last_start = entry.ends_at - shortest(practitioner, before_appointment=entry.before_appointment)
    return [
        (at, _book_url(practitioner, at, entry, usual))
        for at in _starts_within(entry.starts_at, last_start)
    ]


def _placed_cells(
    practitioner: Practitioner,
    cell: Cell,
    scale: RowScale,
    *,
    can_book: bool,
    usual: list[int] | None = None,
) -> list[tuple[int, int, GridCell]]:
    """The practitioner's appointments, blocked and free time as (top, bottom, cell), by top."""
    row_of = scale.row_of
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
        book = _book_times(practitioner, entry, usual or []) if can_book else []
        placed.append((top, bottom, GridCell("free", rows=bottom - top, entry=entry, book=book)))
    placed.sort(key=lambda item: item[0])
    return placed


def _column(placed: list[tuple[int, int, GridCell]], scale: RowScale) -> list[tuple[int, GridCell]]:
    """One column top to bottom, as (first row, cell), gaps filled in; each cell knows its start."""
    column: list[tuple[int, GridCell]] = []
    cursor = 0
    for top, bottom, grid_cell in placed:
        if top < cursor:  # never two cells in one place
            continue
        if top > cursor:
            column.append((cursor, GridCell("gap", rows=top - cursor)))
        column.append((top, grid_cell))
        cursor = bottom
    if cursor < scale.count:
        column.append((cursor, GridCell("gap", rows=scale.count - cursor)))
    times = scale.row_times()
    for row, grid_cell in column:
        grid_cell.starts_at = times[row]
    return column


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
    first, last = _day_span(day, opening_hours, entries)
    scale = _row_scale(first, last, entries)

    usual = usual_treatments([p.pk for p in working], before=first) if can_book and working else {}
    starting: dict[int, list[tuple[Practitioner, GridCell]]] = defaultdict(list)
    for practitioner in working:
        cell = cells[(practitioner.pk, day)]
        placed = _placed_cells(
            practitioner, cell, scale, can_book=can_book, usual=usual.get(practitioner.pk)
        )
        for row, grid_cell in _column(placed, scale):
            starting[row].append((practitioner, grid_cell))

    row_times = scale.row_times()
    rows = [DayRow(starts_at=row_times[n], cells=starting.get(n, [])) for n in range(scale.count)]
    return DayGrid(practitioners=working, rows=rows, step_minutes=scale.step)


# --- A practitioner's week ------------------------------------------------------------


@dataclass
class WeekGrid:
    days: list[date]
    rows: list[DayRow]  # each row's cells are (day, cell)
    step_minutes: int


def _week_hours(opening_hours, entries: list[Entry]) -> tuple[int, int]:
    """The hours every day of the week shows: the clinic's widest, and every entry's."""
    first = min((i.opens.hour for i in opening_hours), default=DEFAULT_FIRST_HOUR)
    last = max(
        (i.closes.hour + (1 if i.closes.minute else 0) for i in opening_hours),
        default=DEFAULT_LAST_HOUR,
    )
    for entry in entries:
        first = min(first, entry.starts_at.hour)
        if entry.ends_at.date() == entry.starts_at.date():
            last = max(last, entry.ends_at.hour + (1 if entry.ends_at.minute else 0))
        else:
            last = 24
    return first, last


def week_grid(
    *,
    practitioner: Practitioner,
    appointments: QuerySet,
    monday: date,
    opening_hours,
    can_book: bool = False,
) -> WeekGrid:
    """One practitioner's week to scale: a column per day, the same hours on every day.

    Each day is laid out on its own rows (a day with a clock change keeps its
    real lengths), all of the same step, so a time of day is on one row across
    the week.
    """
    zone = clinic_zone()
    days = [monday + timedelta(days=n) for n in range(7)]
    cells = entries_by_practitioner_and_day(
        practitioners=[practitioner], appointments=appointments, start_day=monday, days=7
    )
    entries = [e for d in days for e in cells.get((practitioner.pk, d), Cell()).entries]
    first_hour, last_hour = _week_hours(opening_hours, entries)
    step = _minutes(GRANULARITY)
    for entry in entries:
        for moment in (entry.starts_at, entry.ends_at):
            step = math.gcd(step, moment.hour * 60 + moment.minute - first_hour * 60)
    step = max(step, FINEST_STEP_MINUTES)
    count = max(1, (last_hour - first_hour) * 60 // step)

    usual = (
        usual_treatments([practitioner.pk], before=local_midnight(monday)).get(practitioner.pk)
        if can_book
        else None
    )
    starting: dict[int, list[tuple[date, GridCell]]] = defaultdict(list)
    scales = {}
    for day in days:
        first = datetime.combine(day, time(first_hour), tzinfo=zone)
        scale = RowScale(first_utc=first.astimezone(UTC), step=step, count=count)
        scales[day] = scale
        cell = cells.get((practitioner.pk, day), Cell())
        placed = _placed_cells(practitioner, cell, scale, can_book=can_book, usual=usual)
        for row, grid_cell in _column(placed, scale):
            starting[row].append((day, grid_cell))
    row_times = scales[monday].row_times()
    rows = [DayRow(starts_at=row_times[n], cells=starting.get(n, [])) for n in range(count)]
    return WeekGrid(days=days, rows=rows, step_minutes=step)
