"""Moving an appointment: the free times of every practitioner who offers its treatment."""

from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from booking import services
from booking.admin.forms import DayForm, MoveForm
from booking.admin.open_times import clash_message, clash_with, nearest_open_times, open_times
from booking.admin.pages import AppointmentPageView, parse_day
from booking.admin.schedule import schedule_url
from booking.admin.schedule_reads import local_midnight, practitioners_for_schedule
from booking.errors import BookingError, SlotTakenError


class MoveAppointmentView(AppointmentPageView):
    """Pick a free time, for the same or another practitioner; the patient is e-mailed."""

    title = "Move an appointment"
    template_name = "admin/booking/appointmentrequest/move.html"

    def dispatch(self, request, *args, **kwargs):
        self.practitioners = practitioners_for_schedule(request.user)
        return super().dispatch(request, *args, **kwargs)

    def day(self):
        start = timezone.localtime(self.appointment.starts_at).date()
        return parse_day(self.request.GET.get("date") or start.isoformat())

    def free_on(self, day):
        return open_times(
            treatment=self.appointment.treatment,
            practitioners=self.practitioners,
            start=local_midnight(day),
            end=local_midnight(day + timedelta(days=1)),
            now=timezone.now(),
            ignore_appointment_id=self.appointment.pk,
        )

    def page(self, form, *, day, times, nearest=False):
        by_practitioner = {p: [] for p in self.practitioners}
        for option in times:
            by_practitioner[option.practitioner].append(option)
        groups = [(p, options) for p, options in by_practitioner.items() if options]
        back = self.request.GET.get("back", "")
        return self.render(
            self.template_name,
            title=_("Move %(name)s's appointment") % {"name": self.appointment.patient_name},
            appointment=self.appointment,
            form=form,
            day_form=DayForm(initial={"date": day}),
            day=day,
            previous_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
            groups=groups,
            nearest=nearest,
            back=back if back in ("day", "week") else "",
        )

    def get(self, request, appointment_id):
        if not self.appointment.is_active:
            messages.error(
                request,
                _("This appointment is %(status)s, so it cannot be moved.")
                % {"status": self.appointment.get_status_display().lower()},
            )
            return HttpResponseRedirect(self.change_url())
        day = self.day()
        times = self.free_on(day)
        return self.page(self.form(), day=day, times=times)

    def form(self, *args):
        return MoveForm(*args, practitioners=self.practitioners)

    def wants_json(self) -> bool:
        """The book's drag and drop asks for JSON; a form post gets the page."""
        return "application/json" in self.request.headers.get("Accept", "")

    def post(self, request, appointment_id):
        form = self.form(request.POST)
        if not form.is_valid():
            if self.wants_json():
                errors = [str(e) for errors in form.errors.values() for e in errors]
                return JsonResponse({"ok": False, "error": " ".join(errors)}, status=400)
            day = self.day()
            return self.page(form, day=day, times=self.free_on(day))
        chosen = form.cleaned_data["choice"]
        now = timezone.now()
        try:
            moved = services.appointment_move(
                appointment_id=self.appointment.pk,
                practitioner=chosen.practitioner,
                starts_at=chosen.starts_at,
                now=now,
                by=request.user,
            )
        except BookingError as error:
            reason = (
                clash_message(
                    practitioner=chosen.practitioner,
                    clash=clash_with(
                        practitioner=chosen.practitioner,
                        starts_at=chosen.starts_at,
                        treatment=self.appointment.treatment,
                        ignore_id=self.appointment.pk,
                    ),
                )
                if isinstance(error, SlotTakenError)
                else str(error)
            )
            if self.wants_json():
                return JsonResponse(
                    {"ok": False, "error": f"{reason} " + _("Nothing was moved.")}, status=409
                )
            nearest = nearest_open_times(
                treatment=self.appointment.treatment,
                practitioners=self.practitioners,
                around=chosen.starts_at,
                now=now,
                ignore_appointment_id=self.appointment.pk,
            )
            form.add_error(
                None,
                f"{reason} "
                + (
                    _("These are the nearest free times.")
                    if nearest
                    else _("There is no free time nearby: try another day.")
                ),
            )
            return self.page(form, day=self.day(), times=nearest, nearest=True)

        self.model_admin.log_change(
            request, moved, [{"changed": {"fields": [str(_("time")), str(_("practitioner"))]}}]
        )
        starts = timezone.localtime(moved.starts_at)
        notice = _("Moved %(reference)s to %(day)s at %(time)s with %(practitioner)s.") % {
            "reference": moved.reference,
            "day": f"{starts:%a %-d %b}",
            "time": f"{starts:%H:%M}",
            "practitioner": moved.practitioner,
        }
        messages.success(
            request,
            f"{notice} "
            + (
                _("The patient is e-mailed the new time with an updated calendar file.")
                if moved.email
                else _("The patient has no e-mail address: tell them the new time.")
            ),
        )
        if self.wants_json():
            return JsonResponse({"ok": True, "message": notice})
        back = request.GET.get("back")
        if back in ("day", "week"):
            return HttpResponseRedirect(schedule_url(starts.date(), view=back))
        return HttpResponseRedirect(self.change_url())

    def change_url(self):
        return reverse("admin:booking_appointmentrequest_change", args=[self.appointment.pk])
