"""Staff pages about one appointment's intake forms: its answers to print, and a
pre-visit form filled in for the patient on the phone.

Both open only for an appointment the user may see (a practitioner: their
own), through the appointment admin's scoped queryset; any other is a 404.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.admin.pages import AdminPageView, AppointmentPageView
from booking.intake.invitations import invitation_answer, invitation_asked
from booking.intake.questions import kept_by_form
from booking.intake.views import PreVisitForm


class AnswersPrintView(AdminPageView):
    """One appointment's answers as a clean page that prints well."""

    def get(self, request, appointment_id):
        appointment = (
            self.model_admin.get_queryset(request)
            .select_related("treatment", "practitioner")
            .filter(pk=appointment_id)
            .first()
        )
        if appointment is None:
            raise Http404(_("There is no such appointment, or it is not yours to see."))
        response = TemplateResponse(
            request,
            "admin/booking/appointmentrequest/answers_print.html",
            {
                "appointment": appointment,
                "groups": kept_by_form(appointment.answers),
                "missing": appointment.intake_invitations.filter(
                    answered_at__isnull=True
                ).select_related("form"),
                "printed_at": timezone.now(),
            },
        )
        response["Cache-Control"] = "no-store, private"
        return response


class PreVisitFillView(AppointmentPageView):
    """Front desk fills in a pre-visit form with the patient on the phone."""

    def _invitation(self, invitation_id):
        invitation = (
            self.appointment.intake_invitations.select_related("form", "appointment")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None:
            raise Http404(_("This appointment has no such form."))
        return invitation

    def get(self, request, appointment_id, invitation_id):
        invitation = self._invitation(invitation_id)
        return self.page(invitation, PreVisitForm(asked=invitation_asked(invitation), staff=True))

    def post(self, request, appointment_id, invitation_id):
        invitation = self._invitation(invitation_id)
        asked = invitation_asked(invitation)
        form = PreVisitForm(data=request.POST, asked=asked, staff=True)
        if not form.is_valid():
            return self.page(invitation, form)
        invitation_answer(
            invitation=invitation,
            asked=asked,
            answers=form.answers(),
            now=timezone.now(),
            by=request.user,
        )
        messages.success(
            request,
            _("“%(form)s” is filled in for %(patient)s.")
            % {"form": invitation.form.title, "patient": self.appointment.patient_name},
        )
        return redirect("admin:booking_appointmentrequest_change", self.appointment.pk)

    def page(self, invitation, form):
        self.title = _("%(form)s for %(patient)s") % {
            "form": invitation.form.title,
            "patient": self.appointment.patient_name,
        }
        return self.render(
            "admin/booking/appointmentrequest/intake_fill.html",
            appointment=self.appointment,
            invitation=invitation,
            form=form,
        )
