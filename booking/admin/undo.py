"""Undo and correction of appointment statuses, for staff.

Each status change made from the admin (a list action, Today's buttons, the
appointment book's panel) is reported in a message with an Undo button, for
BOOKING_UNDO_MINUTES. After that, front desk corrects a status with a reason.
Both go through booking.services and land in the status history.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from booking import services
from booking.admin.pages import AdminPageView, AppointmentPageView, is_id
from booking.errors import BookingError
from booking.models import AppointmentStatus, AppointmentStatusChange
from clinic.forms import MultilineField

# Changes one Undo button can take back (a batch from the list).
UNDO_AT_MOST = 100


def latest_change(appointment) -> AppointmentStatusChange:
    return appointment.status_changes.order_by("-changed_at", "-pk").first()


def report_with_undo(
    request, text: str, changes: list[AppointmentStatusChange], *, level=None, then: str = ""
):
    """`text` as a message at the top, with a button that undoes `changes`.

    `then` is the page the undo returns to (by default the one that asked).
    """
    changes = [c for c in changes if c is not None][:UNDO_AT_MOST]
    if not changes:
        messages.add_message(request, level or messages.SUCCESS, text)
        return
    hidden = format_html_join(
        "", '<input type="hidden" name="change" value="{}">', ((c.pk,) for c in changes)
    )
    form = format_html(
        '<form method="post" action="{}" class="undo-form">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">{}'
        '<input type="hidden" name="next" value="{}">'
        '<button type="submit" class="undo-form__button">{}</button></form>',
        reverse("admin:booking_status_undo"),
        get_token(request),
        hidden,
        then or request.get_full_path(),
        _("Undo"),
    )
    messages.add_message(request, level or messages.SUCCESS, format_html("{} {}", text, form))


def back_to(request, fallback: str) -> str:
    """Where a form came from, if it is this site; else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class StatusUndoView(AdminPageView):
    """POST: put the appointments back as they were before the changes named."""

    http_method_names = ["post"]

    def post(self, request):
        ids = []
        for value in request.POST.getlist("change")[:UNDO_AT_MOST]:
            if not is_id(value):
                raise Http404(_("There is no such change."))
            ids.append(int(value))
        allowed = self.model_admin.get_queryset(request)
        changes = list(
            AppointmentStatusChange.objects.filter(
                pk__in=ids, appointment__in=allowed
            ).select_related("appointment")
        )
        if not ids or len(changes) != len(set(ids)):
            raise Http404(_("There is no such change, or it is not yours to see."))
        done, refused = [], []
        for change in changes:
            if not self.model_admin.has_change_permission(request, change.appointment):
                raise PermissionDenied
            try:
                services.status_change_undo(
                    change_id=change.pk, now=timezone.now(), by=request.user
                )
            except BookingError as error:
                refused.append(str(error))
            else:
                done.append(change.appointment.reference)
        if done:
            messages.success(
                request, _("Undone: %(refs)s is as it was.") % {"refs": ", ".join(done)}
            )
        for reason in refused:
            messages.error(request, reason)
        return HttpResponseRedirect(back_to(request, reverse("admin:index")))


class CorrectionForm(forms.Form):
    to_status = forms.ChoiceField(label=gettext_lazy("Correct status"), widget=forms.RadioSelect)
    reason = MultilineField(
        label=gettext_lazy("Why"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Kept in the appointment's history with your name. The patient is not e-mailed."
        ),
        error_messages={"required": gettext_lazy("Say why the status is corrected.")},
    )

    def __init__(self, *args, appointment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (status.value, status.label)
            for status in AppointmentStatus
            if status in services.CORRECTABLE and status != appointment.status
        ]


class StatusCorrectView(AppointmentPageView):
    """Front desk puts an appointment's status right, with a reason, after the undo has gone."""

    title = gettext_lazy("Correct the status")
    template_name = "admin/booking/appointmentrequest/correct_status.html"

    def change_url(self):
        return reverse("admin:booking_appointmentrequest_change", args=[self.appointment.pk])

    def get(self, request, appointment_id):
        return self.page(CorrectionForm(appointment=self.appointment))

    def post(self, request, appointment_id):
        form = CorrectionForm(request.POST, appointment=self.appointment)
        if form.is_valid():
            try:
                services.appointment_correct_status(
                    appointment_id=self.appointment.pk,
                    to_status=form.cleaned_data["to_status"],
                    reason=form.cleaned_data["reason"],
                    now=timezone.now(),
                    by=request.user,
                )
            except BookingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("%(reference)s corrected to %(status)s; the history keeps the reason.")
                    % {
                        "reference": self.appointment.reference,
                        "status": AppointmentStatus(form.cleaned_data["to_status"]).label.lower(),
                    },
                )
                return HttpResponseRedirect(back_to(request, self.change_url()))
        return self.page(form)

    def page(self, form):
        return self.render(
            self.template_name,
            title=_("Correct the status of %(reference)s")
            % {"reference": self.appointment.reference},
            appointment=self.appointment,
            form=form,
            next=back_to(self.request, self.change_url()),
        )
