"""Phone-in booking: a patient on the phone is booked straight into the diary."""

from django.contrib import messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from booking import services
from booking.admin.courses import choice_value, plan_context, plan_missing, session_choices
from booking.admin.duplicates import (
    different_person_field,
    possible_duplicate_notice,
    possible_duplicates,
)
from booking.admin.forms import PhoneInBookingForm
from booking.admin.open_times import (
    clash_message,
    clash_with,
    nearest_open_times,
    parse_open_time,
)
from booking.admin.pages import AdminPageView, is_id
from booking.admin.schedule import schedule_url
from booking.admin.schedule_reads import practitioners_for_schedule
from booking.admin.scoping import practitioner_for, scope_patients, scope_to_user, sees_everything
from booking.errors import BookingError, CourseSessionTakenError, SlotTakenError
from booking.models import Patient, Practitioner, email_key, phone_key
from booking.models.patients import name_key
from booking.services.courses import course_book
from booking.services.courses_staff import course_plan_staff, course_session_starts
from clinic.identity import get_clinic

# What a link into the form may fill in; anything longer or stranger is ignored.
PREFILLED = ("treatment", "practitioner", "date", "start_time", "patient", "reason")
_IDS = ("treatment", "practitioner", "patient")


def prefilled(query) -> dict:
    initial = {}
    for key in PREFILLED:
        value = query.get(key, "")
        if not value or "\x00" in value or len(value) > (200 if key == "reason" else 20):
            continue
        if key in _IDS and not is_id(value):
            continue
        initial[key] = value
    return initial


def with_chosen_time(data, practitioners):
    """The form's data with one of the nearest free times (a button) as its time."""
    chosen = parse_open_time(data.get("use_time", ""), practitioners)
    if chosen is None:
        return data
    data = data.copy()
    data["practitioner"] = str(chosen.practitioner.pk)
    data["date"] = chosen.starts_at.date().isoformat()
    data["start_time"] = f"{chosen.starts_at:%H:%M}"
    return data


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

    def patients(self):
        """The records this user may book for, and so the only ones a booking may join."""
        return scope_patients(Patient.objects.current(), self.request.user)

    def form(self, *args, **kwargs):
        form = PhoneInBookingForm(
            *args,
            practitioners=self.practitioners(),
            patients=self.patients(),
            admin_site=self.model_admin.admin_site,
            **kwargs,
        )
        form.fields["different_person"] = different_person_field()
        return form

    def page(self, form, *, alternatives=(), duplicates=(), plan=None, plan_key=""):
        return self.render(
            self.template_name,
            form=form,
            alternatives=alternatives,
            possible_duplicates=duplicates,
            plan=plan_context(plan) if plan else None,
            plan_key=plan_key,
            media=self.model_admin.media + form.media,
        )

    def possible_duplicates(self, form) -> list[Patient]:
        """Records a new patient typed in may duplicate, among those this user may see.

        Nothing when the booking will join a record: a returning patient typed in with
        their name and e-mail (or phone, without an e-mail) makes no new record.
        """
        data = form.cleaned_data
        if data["patient"] is not None:
            return []
        found = possible_duplicates(
            among=self.patients(), name=data["patient_name"], date_of_birth=data["date_of_birth"]
        )
        email, phone = email_key(data["email"]), phone_key(data["phone"])
        for patient in found:
            keyed = patient.email == email if email else patient.phone_key == phone
            if keyed and name_key(patient.name) == name_key(data["patient_name"]):
                return []
        return found

    def get(self, request):
        initial = prefilled(request.GET)
        own = practitioner_for(request.user)
        if not sees_everything(request.user) and own is not None:
            initial.setdefault("practitioner", own.pk)
        return self.page(self.form(initial=initial))

    def post(self, request):
        form = self.form(with_chosen_time(request.POST, list(self.practitioners())))
        if not form.is_valid():
            return self.page(form)
        data = form.cleaned_data
        # Asked before booking, while the caller is still on the line: "have you been
        # to us before?" finds their record, and nothing typed is lost either way.
        duplicates = self.possible_duplicates(form)
        if duplicates and not data["different_person"]:
            form.add_error(
                None,
                possible_duplicate_notice(
                    duplicates,
                    if_same=_("If it is the same person, choose them as the returning patient."),
                    if_different=_("If not, tick “This is a different person” and book again."),
                ),
            )
            return self.page(form, duplicates=duplicates)
        if data.get("as_course"):
            return self.book_course(request, form, duplicates)
        now = timezone.now()
        try:
            appointment = services.appointment_book(
                treatment=data["treatment"],
                practitioner=data["practitioner"],
                starts_at=form.starts_at,
                patient=form.patient_details(),
                now=now,
                source="staff",
                by=request.user,
                enforce_policy=False,
                privacy_notice_version=get_clinic().privacy_notice_version,
                patient_record=data["patient"],
                joinable_patients=self.patients(),
            )
        except BookingError as error:
            alternatives = nearest_open_times(
                treatment=data["treatment"],
                practitioners=practitioners_for_schedule(request.user),
                around=form.starts_at,
                now=now,
            )
            reason = (
                clash_message(
                    practitioner=data["practitioner"],
                    clash=clash_with(
                        practitioner=data["practitioner"],
                        starts_at=form.starts_at,
                        treatment=data["treatment"],
                    ),
                )
                if isinstance(error, SlotTakenError)
                else str(error)
            )
            form.add_error(
                None,
                f"{reason} "
                + (
                    _("Choose another time, or one of the nearest free times below.")
                    if alternatives
                    else _("Choose another time or practitioner.")
                ),
            )
            return self.page(form, alternatives=alternatives)

        if appointment.patient.possible_match_id in {patient.pk for patient in duplicates}:
            # Staff ticked "This is a different person" beside that very record.
            services.patient_match_dismiss(patient_id=appointment.patient_id)
        self.model_admin.log_addition(request, appointment, [{"added": {}}])
        change_url = reverse("admin:booking_appointmentrequest_change", args=[appointment.pk])
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
        if not appointment.email:
            messages.warning(
                request,
                _(
                    "%(name)s has no e-mail address, so they get no e-mails from us. "
                    "Tell them the day, the time and the reference %(reference)s now."
                )
                % {"name": appointment.patient_name, "reference": appointment.reference},
            )
        return HttpResponseRedirect(schedule_url(timezone.localtime(appointment.starts_at).date()))

    def book_course(self, request, form, duplicates):
        """Show the course's sessions (alternatives for taken ones), then book them all or none.

        The plan is for the treatment, practitioner and first time typed: change
        any of them and the sessions are proposed afresh before anything is booked.
        """
        data = form.cleaned_data
        treatment, practitioner = data["treatment"], data["practitioner"]
        now = timezone.now()
        proposed = course_session_starts(
            first=form.starts_at,
            sessions=treatment.course_sessions,
            spacing_days=treatment.course_spacing_days,
        )
        plan_key = f"{treatment.pk}/{practitioner.pk}/{choice_value(form.starts_at)}"
        same_plan = request.POST.get("plan_for") == plan_key
        chosen = (
            session_choices(request.POST, numbers=range(1, len(proposed) + 1)) if same_plan else {}
        )

        def plan(chosen):
            return course_plan_staff(
                treatment=treatment,
                practitioner=practitioner,
                proposed=proposed,
                now=now,
                chosen=chosen,
            )

        plans = plan(chosen)
        if not (same_plan and "book_course" in request.POST):
            return self.page(form, plan=plans, plan_key=plan_key)
        missing = plan_missing(plans)
        if missing:
            form.add_error(
                None,
                _("Nothing was booked: choose a time for session %(numbers)s below.")
                % {"numbers": ", ".join(map(str, missing))},
            )
            return self.page(form, plan=plans, plan_key=plan_key)
        try:
            course = course_book(
                treatment=treatment,
                practitioner=practitioner,
                starts=[p.starts_at for p in plans],
                patient=form.patient_details(),
                now=now,
                source="staff",
                by=request.user,
                enforce_policy=False,
                privacy_notice_version=get_clinic().privacy_notice_version,
                patient_record=data["patient"],
                joinable_patients=self.patients(),
            )
        except CourseSessionTakenError as error:
            chosen.pop(error.number, None)
            form.add_error(
                None,
                f"{error} "
                + _("Choose another time for session %(number)d below: everything else is kept.")
                % {"number": error.number},
            )
            return self.page(form, plan=plan(chosen), plan_key=plan_key)
        except BookingError as error:
            form.add_error(None, f"{error} " + _("Nothing was booked."))
            return self.page(form, plan=plans, plan_key=plan_key)

        sessions = list(course.appointments.order_by("course_session"))
        first = sessions[0]
        if first.patient.possible_match_id in {patient.pk for patient in duplicates}:
            services.patient_match_dismiss(patient_id=first.patient_id)
        for appointment in sessions:
            self.model_admin.log_addition(request, appointment, [{"added": {}}])
        messages.success(
            request,
            format_html(
                'Booked course <a href="{}">{}</a> for {} with {}: {}, {}.',
                reverse("admin:booking_course_change", args=[course.pk]),
                course.reference,
                first.patient_name,
                practitioner,
                treatment.name,
                ", ".join(f"{timezone.localtime(a.starts_at):%a %-d %b %H:%M}" for a in sessions),
            ),
        )
        if not first.email:
            messages.warning(
                request,
                _(
                    "%(name)s has no e-mail address, so they get no e-mails from us. "
                    "Tell them every date and time, and the reference %(reference)s, now."
                )
                % {"name": first.patient_name, "reference": course.reference},
            )
        return HttpResponseRedirect(schedule_url(timezone.localtime(first.starts_at).date()))


class PatientAutocompleteView(AutocompleteJsonView):
    """Admin's autocomplete for the phone-in form, with what tells two patients apart."""

    def serialize_result(self, obj, to_field_name):
        details = [obj.phone, obj.email]
        if obj.date_of_birth:
            details.append(_("born %(day)s") % {"day": f"{obj.date_of_birth:%-d %b %Y}"})
        text = " · ".join([obj.name, *(d for d in details if d)])
        return {"id": str(getattr(obj, to_field_name)), "text": text}
