"""Courses in the staff workspace: the course list, and what the course pages share.

A course is read here, never edited: its sessions are ordinary appointments,
moved, confirmed or cancelled one by one from their own pages (a request is
answered for the whole course). Phone-in and Repeat book courses through
booking.services.courses_staff and show the plan with plan_context().
"""

import re
from datetime import datetime

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from booking.admin.scoping import PractitionerScopedAdmin, ReadOnlyInline, RecordOnlyAdmin
from booking.availability import clinic_zone
from booking.models import AppointmentRequest
from booking.models.courses import MOST_SESSIONS
from booking.services.courses import SessionPlan

_CHOICE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$")


def choice_value(moment: datetime) -> str:
    """How a form names a session's time: the clinic's local date and time, to the minute."""
    return f"{moment.astimezone(clinic_zone()):%Y-%m-%dT%H:%M}"


def session_choices(data, *, numbers: range) -> dict[int, datetime]:
    """The alternative times chosen for sessions (`session_3=2027-07-15T11:00`); junk is ignored."""
    chosen = {}
    for number in numbers:
        match = _CHOICE.match(data.get(f"session_{number}", ""))
        if not match:
            continue
        year, month, day, hour, minute = map(int, match.groups())
        if not 2000 <= year <= 2099:
            continue
        try:
            chosen[number] = datetime(year, month, day, hour, minute, tzinfo=clinic_zone())
        except ValueError:
            continue
    return chosen


def plan_context(plans: list[SessionPlan]) -> list[dict]:
    """Each session as the plan template shows it: its time, or the alternatives to choose from."""
    zone = clinic_zone()
    return [
        {
            "number": plan.number,
            "proposed": plan.proposed.astimezone(zone),
            "starts_at": plan.starts_at and plan.starts_at.astimezone(zone),
            "moved": plan.starts_at is not None and plan.starts_at != plan.proposed,
            "value": choice_value(plan.starts_at) if plan.starts_at else "",
            "alternatives": [(choice_value(a), a.astimezone(zone)) for a in plan.alternatives],
        }
        for plan in plans
    ]


def plan_missing(plans: list[SessionPlan]) -> list[int]:
    """The sessions that still have no time."""
    return [plan.number for plan in plans if not plan.is_free]


def session_numbers() -> range:
    return range(1, MOST_SESSIONS + 1)


# --- The course list -------------------------------------------------------------


class CourseSessionInline(ReadOnlyInline):
    model = AppointmentRequest
    fk_name = "course"
    fields = ["course_session", "when", "status", "reference_link"]
    readonly_fields = fields
    ordering = ["course_session"]
    verbose_name = gettext_lazy("session")
    verbose_name_plural = gettext_lazy("sessions")

    @admin.display(description=gettext_lazy("when"))
    def when(self, obj):
        start, end = timezone.localtime(obj.starts_at), timezone.localtime(obj.ends_at)
        return f"{start:%a %-d %b %Y}, {start:%H:%M}–{end:%H:%M}"

    @admin.display(description=gettext_lazy("appointment"))
    def reference_link(self, obj):
        url = reverse("admin:booking_appointmentrequest_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.reference)


class CourseAdmin(RecordOnlyAdmin, PractitionerScopedAdmin):
    """Every course, read-only; a practitioner sees only their own."""

    list_display = [
        "reference",
        "patient_name",
        "treatment",
        "practitioner",
        "sessions",
        "booked",
        "created_at",
    ]
    list_filter = [("practitioner", admin.RelatedOnlyFieldListFilter), "treatment"]
    list_select_related = ["treatment", "practitioner", "patient"]
    search_fields = ["=reference", "patient__name", "appointments__patient_name"]
    search_help_text = gettext_lazy("Search by course reference or patient name.")
    fields = [
        "reference",
        "patient_link",
        "treatment",
        "practitioner",
        "sessions",
        "spacing_days",
        "price",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [CourseSessionInline]

    def get_search_results(self, request, queryset, search_term):
        found, _duplicates = super().get_search_results(request, queryset, search_term)
        # Searching across the sessions may repeat a course; each shows once.
        return found.distinct(), False

    @admin.display(description=gettext_lazy("patient"), ordering="patient__name")
    def patient_name(self, obj):
        return obj.patient.name if obj.patient_id else "—"

    @admin.display(description=gettext_lazy("booked"))
    def booked(self, obj):
        """How many of its sessions still hold a time, of how many."""
        active = sum(1 for a in obj.appointments.all() if a.is_active)
        return _("%(active)d of %(sessions)d active") % {
            "active": active,
            "sessions": obj.sessions,
        }

    @admin.display(description=gettext_lazy("patient record"))
    def patient_link(self, obj):
        if obj.patient_id is None:
            return _("None")
        url = reverse("admin:booking_patient_change", args=[obj.patient_id])
        return format_html('<a href="{}">{}</a>', url, obj.patient.name)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("appointments")

    # Courses are read by whoever reads appointments: they are appointments grouped.
    def has_module_permission(self, request):
        return request.user.has_perm("booking.view_appointmentrequest")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("booking.view_appointmentrequest") and self._in_scope(
            request, obj
        )
