"""Custom views inside the admin: schedule, phone-in booking, status, exports, slots.

Each is mounted by a ModelAdmin's get_urls through admin_site.admin_view (staff
only, login required) and checks the model permission and the user's scope
itself. Writes go through booking.services; domain errors become messages or
form errors, never a 500.
"""

import logging
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from booking import services
from booking.admin_forms import (
    AccessRequestForm,
    GenerateSlotsForm,
    PhoneInBookingForm,
)
from booking.errors import BookingError, SlotTakenError
from booking.exports import access_request_response, appointments_csv_response
from booking.models import AppointmentStatus, Practitioner, TimeSlot
from booking.permissions import (
    can_see_practitioner,
    is_front_desk,
    practitioner_for,
    scope_to_user,
    sees_everything,
)
from booking.schedule import day_grid, week_grid, week_start
from clinic.identity import get_clinic

logger = logging.getLogger(__name__)
S = AppointmentStatus


class AdminPageView(View):
    """A page that looks like and behaves like the admin's own."""

    model_admin = None
    title = ""

    def admin_context(self, **extra):
        return {
            **self.model_admin.admin_site.each_context(self.request),
            "opts": self.model_admin.opts,
            "title": self.title,
            "subtitle": None,
            **extra,
        }

    def render(self, template_name, **context):
        return TemplateResponse(self.request, template_name, self.admin_context(**context))


# Days the schedule can show: far enough for any diary, never near date's limits.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _parse_day(value: str | None) -> date:
    """The ?date= of a schedule page; anything unusable means today."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        return timezone.localdate()
    return day


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
        day = _parse_day(request.GET.get("date"))
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
        day = _parse_day(request.GET.get("date"))
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


class SlotBlockView(View):
    """Block or unblock one slot from the schedule (POST, CSRF-protected)."""

    model_admin = None
    http_method_names = ["post"]

    def post(self, request, slot_id):
        if not request.user.has_perm("booking.change_timeslot"):
            raise PermissionDenied
        slot = TimeSlot.objects.filter(pk=slot_id).only("pk", "practitioner_id").first()
        if slot is None or not can_see_practitioner(request.user, slot.practitioner_id):
            raise Http404(_("There is no such slot, or it is not yours to change."))
        blocked = request.POST.get("blocked") == "1"
        try:
            services.slot_set_blocked(slot_id=slot.pk, blocked=blocked)
        except BookingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Slot blocked.") if blocked else _("Slot unblocked."))
        day = _parse_day(request.POST.get("date"))
        name = "week" if request.POST.get("view") == "week" else "day"
        url = reverse(f"admin:booking_schedule_{name}")
        return HttpResponseRedirect(f"{url}?{urlencode({'date': day.isoformat()})}")


class PhoneInBookingView(AdminPageView):
    """Book a patient who phones in, straight into the diary (confirmed at once)."""

    title = "Book a phone-in appointment"
    template_name = "admin/booking/appointmentrequest/phone_in.html"

    def dispatch(self, request, *args, **kwargs):
        if not self.model_admin.has_add_permission(request):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def practitioners(self):
        return scope_to_user(Practitioner.objects.active(), self.request.user, practitioner_path="")

    def get(self, request):
        initial = {
            key: request.GET[key]
            for key in ("treatment", "practitioner", "date", "start_time")
            if request.GET.get(key)
        }
        own = practitioner_for(request.user)
        if not sees_everything(request.user) and own is not None:
            initial.setdefault("practitioner", own.pk)
        form = PhoneInBookingForm(initial=initial, practitioners=self.practitioners())
        return self.render(self.template_name, form=form)

    def post(self, request):
        form = PhoneInBookingForm(request.POST, practitioners=self.practitioners())
        if form.is_valid():
            data = form.cleaned_data
            patient = services.PatientDetails(
                name=data["patient_name"],
                email=data["email"],
                phone=data["phone"],
                is_new_patient=data["is_new_patient"],
                reason=data["reason"],
            )
            try:
                appointment = services.appointment_book(
                    treatment=data["treatment"],
                    practitioner=data["practitioner"],
                    starts_at=form.starts_at,
                    patient=patient,
                    now=timezone.now(),
                    source="staff",
                    by=request.user,
                    enforce_policy=False,
                    privacy_notice_version=get_clinic().privacy_notice_version,
                )
            except SlotTakenError:
                form.add_error(
                    None,
                    _(
                        "%(practitioner)s already has an appointment at that time. "
                        "Choose another time or practitioner."
                    )
                    % {"practitioner": data["practitioner"]},
                )
            except BookingError as error:
                form.add_error(None, str(error))
            else:
                self.model_admin.log_addition(request, appointment, [{"added": {}}])
                change_url = reverse(
                    "admin:booking_appointmentrequest_change", args=[appointment.pk]
                )
                messages.success(
                    request,
                    format_html(
                        'Booked <a href="{}">{}</a>: {} with {} at {}.',
                        change_url,
                        appointment.reference,
                        appointment.patient_name,
                        appointment.practitioner,
                        f"{timezone.localtime(appointment.starts_at):%a %-d %b %H:%M}",
                    ),
                )
                day = timezone.localtime(appointment.starts_at).date()
                url = reverse("admin:booking_schedule_day")
                return HttpResponseRedirect(f"{url}?{urlencode({'date': day.isoformat()})}")
        return self.render(self.template_name, form=form)


class AppointmentExportView(View):
    """The changelist's current filter and search as CSV (front desk only)."""

    model_admin = None

    def get(self, request):
        if not is_front_desk(request.user) or not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.model_admin.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("Unknown filter.")
        return appointments_csv_response(changelist.queryset)


class AccessRequestView(AdminPageView):
    """A patient's access request: everything stored about one e-mail address."""

    title = "Patient access request"
    template_name = "admin/booking/appointmentrequest/access_request.html"

    def dispatch(self, request, *args, **kwargs):
        if not is_front_desk(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = AccessRequestForm(initial={"email": request.GET.get("email", "")[:254]})
        return self.render(self.template_name, form=form)

    def post(self, request):
        form = AccessRequestForm(request.POST)
        if not form.is_valid():
            return self.render(self.template_name, form=form)
        logger.info("Access request export by staff user %s", request.user.pk)
        return access_request_response(
            email=form.cleaned_data["email"], file_format=form.cleaned_data["format"]
        )


class GenerateSlotsView(AdminPageView):
    """Materialise bookable slots from the weekly hours for the days ahead."""

    title = "Generate time slots"
    template_name = "admin/booking/timeslot/generate.html"

    def dispatch(self, request, *args, **kwargs):
        if not self.model_admin.has_add_permission(request):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = GenerateSlotsForm(initial={"start": timezone.localdate()})
        return self.render(self.template_name, form=form)

    def post(self, request):
        form = GenerateSlotsForm(request.POST)
        if not form.is_valid():
            return self.render(self.template_name, form=form)
        practitioners = None
        if not sees_everything(request.user):
            practitioners = list(Practitioner.objects.filter(user=request.user))
        try:
            created = services.slots_generate(
                start=form.cleaned_data["start"],
                days=form.cleaned_data["days"],
                now=timezone.now(),
                practitioners=practitioners,
            )
        except BookingError as error:
            form.add_error(None, str(error))
            return self.render(self.template_name, form=form)
        messages.success(request, _("%(count)d new slots made.") % {"count": created})
        return redirect("admin:booking_timeslot_changelist")
