"""Phone-in booking: a patient on the phone is booked straight into the diary."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from booking import services
from booking.admin.forms import PhoneInBookingForm
from booking.admin.pages import AdminPageView
from booking.admin.scoping import practitioner_for, scope_to_user, sees_everything
from booking.errors import BookingError, SlotTakenError
from booking.models import Practitioner
from clinic.identity import get_clinic


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
