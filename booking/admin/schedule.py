"""The staff schedule's pages: the day and the week, in the clinic's zone.

What they show is read in schedule_reads.py and laid out in schedule_grid.py;
the pages only parse the date, check permissions and render.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from booking import services
from booking.admin.pages import AdminPageView, parse_day, parse_id
from booking.admin.schedule_grid import day_grid, week_grid
from booking.admin.schedule_reads import SHOWN_STATUSES, practitioners_for_schedule, week_start
from booking.admin.today import MARKS, mark_refusal
from booking.models import AppointmentRequest, AppointmentStatus
from booking.services.courses_staff import course_repeat_refusal
from clinic.identity import get_clinic

# Status changes the panel lists, latest first.
HISTORY_SHOWN = 6


def schedule_url(day: date, *, view: str = "day", **query) -> str:
    """The day or week page showing `day` (and what else `query` names)."""
    url = reverse(f"admin:booking_schedule_{view}")
    return f"{url}?{urlencode({'date': day.isoformat(), **query})}"


@dataclass
class Panel:
    """One appointment, opened from the book: what staff can do with it now."""

    appointment: AppointmentRequest
    marks: list[tuple[str, str]] = field(default_factory=list)  # (value, label) valid now
    can_confirm: bool = False
    can_decline: bool = False
    can_cancel: bool = False
    can_move: bool = False
    can_correct: bool = False
    can_repeat: bool = False
    history: list = field(default_factory=list)
    close_url: str = ""
    can_change: bool = False
    forms_missing: list = field(default_factory=list)  # the pre-visit forms not filled in


def appointment_panel(*, model_admin, request, appointment_id: int | None, close_url: str):
    """The panel for the appointment `?open=` names, if the user may see it; else None."""
    if appointment_id is None:
        return None
    appointment = (
        model_admin.get_queryset(request)
        .select_related("treatment", "practitioner", "patient", "course")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return None
    now = timezone.now()
    can_change = model_admin.has_change_permission(request, appointment)
    history = list(
        appointment.status_changes.select_related("changed_by").order_by("-changed_at", "-pk")[
            :HISTORY_SHOWN
        ]
    )
    return Panel(
        appointment=appointment,
        marks=[
            (mark, str(label))
            for mark, label in MARKS.items()
            if can_change and not mark_refusal(appointment=appointment, mark=mark, now=now)
        ],
        can_confirm=can_change
        and not services.status_change_refusal(
            appointment=appointment, to_status=AppointmentStatus.CONFIRMED, now=now
        ),
        can_decline=can_change
        and not services.status_change_refusal(
            appointment=appointment, to_status=AppointmentStatus.DECLINED, now=now
        ),
        can_cancel=can_change
        and not services.status_change_refusal(
            appointment=appointment, to_status=AppointmentStatus.CANCELLED_BY_CLINIC, now=now
        ),
        can_move=can_change and appointment.is_active,
        can_correct=can_change and appointment.starts_at <= now,
        can_repeat=can_change and not course_repeat_refusal(appointment=appointment),
        history=history,
        close_url=close_url,
        can_change=can_change,
        forms_missing=list(
            appointment.intake_invitations.filter(answered_at__isnull=True).select_related("form")
        ),
    )


def book_common(model_admin, request, day: date, *, week: bool) -> dict:
    """What every view of the book shows: its links, the user's permissions, the key."""
    user = request.user
    return {
        "day": day,
        "today": timezone.localdate(),
        "day_url": reverse("admin:booking_schedule_day"),
        "week_url": reverse("admin:booking_schedule_week"),
        "changelist_url": reverse("admin:booking_appointmentrequest_changelist"),
        "phone_in_url": reverse("admin:booking_appointmentrequest_phone_in"),
        "can_book": model_admin.has_add_permission(request),
        "can_move": model_admin.has_change_permission(request),
        "can_block": user.has_perm("booking.change_timeslot"),
        "can_see_patients": user.has_perm("booking.view_patient"),
        "this_page": request.get_full_path(),
        "view_name": "week" if week else "day",
        "time_zone": timezone.get_current_timezone_name(),
        "statuses": [AppointmentStatus(s) for s in SHOWN_STATUSES],
        "media": model_admin.media,
    }


def day_book(model_admin, request, day: date) -> dict:
    """The day's book for the user: a column per practitioner they see, and a list for phones."""
    common = book_common(model_admin, request, day, week=False)
    grid = day_grid(
        practitioners=practitioners_for_schedule(request.user),
        appointments=model_admin.get_queryset(request),
        day=day,
        opening_hours=get_clinic().intervals,
        can_book=common["can_book"],
    )
    day_list = sorted(
        (
            (entry, practitioner)
            for row in grid.rows
            for practitioner, cell in row.cells
            if cell.kind == "appointment"
            for entry in cell.entries
        ),
        key=lambda item: (item[0].starts_at, item[1].sort_order, item[1].name),
    )
    return {
        **common,
        "title": _("Schedule for %(day)s") % {"day": f"{day:%A %-d %B %Y}"},
        "practitioners": grid.practitioners,
        "columns": [(p, p.name) for p in grid.practitioners],
        "rows": grid.rows,
        "step_minutes": grid.step_minutes,
        "day_list": day_list,
    }


class ScheduleMixin(AdminPageView):
    def dispatch(self, request, *args, **kwargs):
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def practitioners(self):
        return practitioners_for_schedule(self.request.user)

    def panel(self, close_url: str):
        return appointment_panel(
            model_admin=self.model_admin,
            request=self.request,
            appointment_id=parse_id(self.request.GET.get("open")),
            close_url=close_url,
        )

    def common(self, day: date, *, week: bool):
        return book_common(self.model_admin, self.request, day, week=week)


class ScheduleDayView(ScheduleMixin):
    title = "Schedule"

    def get(self, request):
        day = parse_day(request.GET.get("date"))
        return self.render(
            "admin/booking/schedule_day.html",
            **day_book(self.model_admin, request, day),
            panel=self.panel(schedule_url(day)),
            previous_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
        )


class ScheduleWeekView(ScheduleMixin):
    title = "Week schedule"

    def get(self, request):
        day = parse_day(request.GET.get("date"))
        monday = week_start(day)
        practitioners = self.practitioners()
        chosen_id = parse_id(request.GET.get("practitioner"))
        own = next((p for p in practitioners if p.user_id == request.user.pk), None)
        practitioner = next(
            (p for p in practitioners if p.pk == chosen_id),
            own or (practitioners[0] if practitioners else None),
        )
        common = self.common(monday, week=True)
        grid = None
        if practitioner is not None:
            grid = week_grid(
                practitioner=practitioner,
                appointments=self.model_admin.get_queryset(request),
                monday=monday,
                opening_hours=get_clinic().intervals,
                can_book=common["can_book"],
            )
        sunday = monday + timedelta(days=6)
        query = {"practitioner": practitioner.pk} if practitioner else {}
        return self.render(
            "admin/booking/schedule_week.html",
            **common,
            title=(
                _("%(name)s's week of %(day)s")
                % {"name": practitioner.name, "day": f"{monday:%-d %B %Y}"}
                if practitioner
                else _("Schedule for the week of %(day)s") % {"day": f"{monday:%-d %B %Y}"}
            ),
            practitioner=practitioner,
            choices=practitioners,
            practitioners=[practitioner] if practitioner else [],
            columns=[(d, f"{d:%a %-d %b}") for d in grid.days] if grid else [],
            rows=grid.rows if grid else [],
            step_minutes=grid.step_minutes if grid else 15,
            panel=self.panel(schedule_url(monday, view="week", **query)),
            monday=monday,
            sunday=sunday,
            previous_week=monday - timedelta(days=7),
            next_week=monday + timedelta(days=7),
            week_query=urlencode(query),
        )
