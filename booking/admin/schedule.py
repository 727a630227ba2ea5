"""The staff schedule's pages: the day and the week, in the clinic's zone.

What they show is read in schedule_reads.py and laid out in schedule_grid.py;
the pages only parse the date, check permissions and render.
"""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from booking.admin.pages import AdminPageView, parse_day
from booking.admin.schedule_grid import day_grid, week_grid
from booking.admin.schedule_reads import SHOWN_STATUSES, practitioners_for_schedule, week_start
from booking.models import AppointmentStatus
from clinic.identity import get_clinic


def schedule_url(day: date, *, view: str = "day") -> str:
    """The day or week page showing `day`."""
    url = reverse(f"admin:booking_schedule_{view}")
    return f"{url}?{urlencode({'date': day.isoformat()})}"


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
