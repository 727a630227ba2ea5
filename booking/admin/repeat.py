"""Repeat an appointment: more sessions at the same weekday and time, made one course with it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.admin.courses import plan_context, plan_missing, session_choices
from booking.admin.forms import RepeatForm
from booking.admin.pages import AdminPageView
from booking.errors import BookingError, CourseSessionTakenError
from booking.models.courses import MOST_SESSIONS
from booking.services.courses_staff import (
    course_plan_staff,
    course_repeat_appointment,
    course_repeat_refusal,
    course_session_starts,
)


class RepeatAppointmentView(AdminPageView):
    """How many more sessions and how often; their times (alternatives for taken ones); book."""

    template_name = "admin/booking/appointmentrequest/repeat.html"

    def dispatch(self, request, *args, **kwargs):
        appointment = (
            self.model_admin.get_queryset(request)
            .select_related("treatment", "practitioner")
            .filter(pk=kwargs["appointment_id"])
            .first()
        )
        if appointment is None:
            raise Http404(_("There is no such appointment, or it is not yours to see."))
        if not self.model_admin.has_change_permission(request, appointment):
            raise PermissionDenied
        self.appointment = appointment
        return super().dispatch(request, *args, **kwargs)

    def change_url(self):
        return reverse("admin:booking_appointmentrequest_change", args=[self.appointment.pk])

    def plan(self, form, chosen, now):
        data = form.cleaned_data
        proposed = course_session_starts(
            first=self.appointment.starts_at,
            sessions=data["more"] + 1,
            spacing_days=data["spacing"],
        )[1:]
        return course_plan_staff(
            treatment=self.appointment.treatment,
            practitioner=self.appointment.practitioner,
            proposed=proposed,
            now=now,
            chosen=chosen,
            first_number=2,
        )

    def page(self, form, plans=None):
        return self.render(
            self.template_name,
            title=_("Repeat %(name)s's appointment") % {"name": self.appointment.patient_name},
            appointment=self.appointment,
            form=form,
            plan=plan_context(plans) if plans else None,
        )

    def refused(self):
        refusal = course_repeat_refusal(appointment=self.appointment)
        if refusal:
            messages.error(self.request, refusal)
            return HttpResponseRedirect(self.change_url())
        return None

    def get(self, request, appointment_id):
        if response := self.refused():
            return response
        if "more" not in request.GET:
            return self.page(RepeatForm())
        form = RepeatForm(request.GET)
        if not form.is_valid():
            return self.page(form)
        return self.page(form, self.plan(form, {}, timezone.now()))

    def post(self, request, appointment_id):
        if response := self.refused():
            return response
        form = RepeatForm(request.POST)
        if not form.is_valid():
            return self.page(form)
        now = timezone.now()
        chosen = session_choices(request.POST, numbers=range(2, MOST_SESSIONS + 1))
        plans = self.plan(form, chosen, now)
        missing = plan_missing(plans)
        if missing:
            form.add_error(
                None,
                _("Nothing was booked: choose a time for session %(numbers)s below.")
                % {"numbers": ", ".join(map(str, missing))},
            )
            return self.page(form, plans)
        try:
            course = course_repeat_appointment(
                appointment_id=self.appointment.pk,
                starts=[p.starts_at for p in plans],
                spacing_days=form.cleaned_data["spacing"],
                now=now,
                by=request.user,
            )
        except CourseSessionTakenError as error:
            chosen.pop(error.number, None)
            form.add_error(
                None,
                f"{error} "
                + _("Choose another time for session %(number)d below.") % {"number": error.number},
            )
            return self.page(form, self.plan(form, chosen, now))
        except BookingError as error:
            form.add_error(None, f"{error} " + _("Nothing was booked."))
            return self.page(form, plans)
        sessions = list(course.appointments.order_by("course_session"))
        for session in sessions[1:]:
            self.model_admin.log_addition(request, session, [{"added": {}}])
        self.model_admin.log_change(
            request, self.appointment, [{"changed": {"fields": [str(_("course"))]}}]
        )
        messages.success(
            request,
            _("Course %(reference)s: %(count)d sessions, %(dates)s.")
            % {
                "reference": course.reference,
                "count": len(sessions),
                "dates": ", ".join(
                    f"{timezone.localtime(a.starts_at):%a %-d %b %H:%M}" for a in sessions
                ),
            }
            + " "
            + (
                _("The patient is e-mailed the new sessions.")
                if self.appointment.email
                else _("The patient has no e-mail address: tell them the new dates.")
            ),
        )
        return HttpResponseRedirect(self.change_url())
