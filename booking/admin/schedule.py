"""The staff schedule: who is booked, pending, free or blocked, in the clinic's zone.

The grid helpers are reads: three queries whatever the number of
practitioners or appointments (practitioners, appointments, slots). The day
and week pages below render them.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.admin.pages import AdminPageView, parse_day
from booking.admin.scoping import scope_to_user
from booking.models import (
    ACTIVE_STATUSES,
    AppointmentRequest,
    AppointmentStatus,
    Practitioner,
    TimeSlot,
)
from clinic.identity import get_clinic

# Shown on the schedule; declined and cancelled requests no longer hold time.
SHOWN_STATUSES = [*ACTIVE_STATUSES, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW]
DEFAULT_FIRST_HOUR = 8
DEFAULT_LAST_HOUR = 19  # exclusive


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clinic_zone())


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


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

    @property
    def is_pending(self) -> bool:
        return self.appointment is not None and self.appointment.status == "requested"

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
    def free_minutes(self) -> int:
        return sum(e.minutes for e in self.entries if e.kind == "free")

    @property
    def blocked_minutes(self) -> int:
        return sum(e.minutes for e in self.entries if e.kind == "blocked")


def _subtract(start: datetime, end: datetime, busy: list[tuple[datetime, datetime]]):
    """The parts of [start, end) not covered by the (sorted) busy intervals."""
    cursor = start
    for busy_start, busy_end in busy:
        if busy_end <= cursor or busy_start >= end:
            continue
        if busy_start > cursor:
            yield cursor, busy_start
        cursor = max(cursor, busy_end)
        if cursor >= end:
            return
    if cursor < end:
        yield cursor, end


def _split_at_hours(start: datetime, end: datetime):
    """Cut an interval at each full hour so that it fills the day grid's rows."""
    cursor = start
    while cursor < end:
        next_hour = (cursor + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        piece_end = min(next_hour, end)
        yield cursor, piece_end
        cursor = piece_end


def entries_by_practitioner_and_day(
    *,
    practitioners: list[Practitioner],
    appointments: QuerySet,
    start_day: date,
    days: int,
    split_hours: bool,
) -> dict[tuple[int, date], Cell]:
    """Each practitioner's entries for each day, keyed by (practitioner id, local date)."""
    zone = clinic_zone()
    range_start = local_midnight(start_day)
    range_end = local_midnight(start_day + timedelta(days=days))
    ids = [p.pk for p in practitioners]

    appointment_list = list(
        appointments.filter(
            practitioner_id__in=ids,
            status__in=SHOWN_STATUSES,
            starts_at__lt=range_end,
            ends_at__gt=range_start,
        )
        .select_related("treatment")
        .order_by("starts_at")
    )
    slots = list(
        TimeSlot.objects.filter(
            practitioner_id__in=ids, starts_at__lt=range_end, ends_at__gt=range_start
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
        if slot.is_blocked:
            pieces = [(slot_start, slot_end)]
            kind = "blocked"
        else:
            pieces = list(_subtract(slot_start, slot_end, busy[slot.practitioner_id]))
            kind = "free"
        first = True
        for piece_start, piece_end in pieces:
            local_start, local_end = piece_start.astimezone(zone), piece_end.astimezone(zone)
            parts = (
                _split_at_hours(local_start, local_end)
                if split_hours
                else [(local_start, local_end)]
            )
            for part_start, part_end in parts:
                cells[(slot.practitioner_id, part_start.date())].entries.append(
                    Entry(kind, part_start, part_end, slot=slot, first_of_slot=first)
                )
                first = False

    for cell in cells.values():
        cell.entries.sort(key=lambda e: (e.starts_at, e.kind != "appointment"))
    return cells


@dataclass
class DayRow:
    hour: int
    label: str
    cells: list[tuple[Practitioner, Cell]]


def day_grid(
    *, practitioners: list[Practitioner], appointments: QuerySet, day: date, opening_hours
) -> list[DayRow]:
    """Rows of one hour each, a cell per practitioner with what starts in that hour."""
    cells = entries_by_practitioner_and_day(
        practitioners=practitioners,
        appointments=appointments,
        start_day=day,
        days=1,
        split_hours=True,
    )
    weekday_hours = [i for i in opening_hours if i.weekday == day.weekday()]
    first = min((i.opens.hour for i in weekday_hours), default=DEFAULT_FIRST_HOUR)
    last = max(
        (i.closes.hour + (1 if i.closes.minute else 0) for i in weekday_hours),
        default=DEFAULT_LAST_HOUR,
    )
    by_hour: dict[int, dict[int, Cell]] = defaultdict(lambda: defaultdict(Cell))
    for (practitioner_id, _day), cell in cells.items():
        for entry in cell.entries:
            hour = entry.starts_at.hour
            first, last = min(first, hour), max(last, hour + 1)
            by_hour[hour][practitioner_id].entries.append(entry)
    return [
        DayRow(
            hour=hour,
            label=f"{hour:02d}:00",
            cells=[(p, by_hour[hour][p.pk]) for p in practitioners],
        )
        for hour in range(first, last)
    ]


@dataclass
class WeekRow:
    day: date
    cells: list[tuple[Practitioner, Cell]]


def week_grid(
    *, practitioners: list[Practitioner], appointments: QuerySet, monday: date
) -> list[WeekRow]:
    """A row per day of the week, a cell per practitioner."""
    cells = entries_by_practitioner_and_day(
        practitioners=practitioners,
        appointments=appointments,
        start_day=monday,
        days=7,
        split_hours=False,
    )
    days = [monday + timedelta(days=n) for n in range(7)]
    return [
        WeekRow(day=d, cells=[(p, cells.get((p.pk, d), Cell())) for p in practitioners])
        for d in days
    ]


# --- The day and week pages ----------------------------------------------------


class ScheduleMixin(AdminPageView):
    def dispatch(self, request, *args, **kwargs):
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def practitioners(self):
        queryset = Practitioner.objects.active().order_by("sort_order", "name")
        return list(scope_to_user(queryset, self.request.user, practitioner_path=""))

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
            "can_block": user.has_perm("booking.change_timeslot"),
            "view_name": "week" if week else "day",
            "time_zone": timezone.get_current_timezone_name(),
            "media": self.model_admin.media,
        }


class ScheduleDayView(ScheduleMixin):
    title = "Schedule"

    def get(self, request):
        day = parse_day(request.GET.get("date"))
        practitioners = self.practitioners()
        rows = day_grid(
            practitioners=practitioners,
            appointments=self.model_admin.get_queryset(request),
            day=day,
            opening_hours=get_clinic().intervals,
        )
        return self.render(
            "admin/booking/schedule_day.html",
            **self.common(day, week=False),
            title=_("Schedule for %(day)s") % {"day": f"{day:%A %-d %B %Y}"},
            practitioners=practitioners,
            rows=rows,
            previous_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
        )


class ScheduleWeekView(ScheduleMixin):
    title = "Week schedule"

    def get(self, request):
        day = parse_day(request.GET.get("date"))
        monday = week_start(day)
        practitioners = self.practitioners()
        rows = week_grid(
            practitioners=practitioners,
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
