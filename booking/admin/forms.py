"""Forms of the staff workspace in admin (phone-in, moves, decline, patients, privacy, slots)."""

from datetime import date, datetime, timedelta

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.admin.open_times import parse_open_time
from booking.admin.pages import is_id
from booking.availability import clinic_zone
from booking.intake.fields import (
    STAFF_REQUIRED,
    add_intake_fields,
    intake_answers,
    intake_groups,
    question_name,
)
from booking.intake.questions import Asked, booking_forms, versions_of
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    CourseSpacing,
    Patient,
    Practitioner,
    Treatment,
    email_key,
)
from booking.models.courses import MOST_SESSIONS
from booking.services import PatientDetails
from booking.validators import phone_validator
from clinic.forms import MultilineField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        # The ISO form is the only value a date field accepts, whatever the locale.
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    """A plain field for HH:MM: a browser's own time picker may show a 12-hour clock."""

    def __init__(self, attrs=None):
        attrs = {
            "inputmode": "numeric",
            "autocomplete": "off",
            "size": "5",
            "maxlength": "5",
            **(attrs or {}),
        }
        super().__init__(attrs=attrs, format="%H:%M")


class PatientAutocomplete(AutocompleteSelect):
    """Admin's own autocomplete, asking the patient list, which searches phone digits too."""

    url_name = "%s:booking_patient_autocomplete"

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["data-placeholder"] = _("Type to search")
        return attrs

    @property
    def media(self):
        return super().media + forms.Media(js=["js/admin-autocomplete.js"])

    def optgroups(self, name, value, attr=None):
        # Only ids go to the database: a typed "abc" or 5,000 digits shows nothing chosen.
        value = [v for v in value if is_id(v)]
        return super().optgroups(name, value, attr)


def phone_in_forms(treatments) -> list[Asked]:
    """Every form asked while booking any of these treatments, each once, with the names
    of the treatments that ask it (staff choose the treatment in the same form)."""
    forms_: dict[str, Asked] = {}
    asked_by: dict[str, list[str]] = {}
    for treatment in treatments:
        for one in booking_forms(treatment):
            forms_.setdefault(one.slug, one)
            asked_by.setdefault(one.slug, []).append(treatment.name)
    return [
        Asked(
            slug=one.slug,
            number=one.number,
            definition={**one.definition, "asked_for": asked_by[one.slug]},
        )
        for one in forms_.values()
    ]


class PhoneInBookingForm(forms.Form):
    """A patient on the phone: staff book a time straight into the diary.

    The patient is either a returning one, found with the autocomplete, or a
    new one typed in. E-mail is optional: without one the patient gets no
    e-mails. The chosen treatment's booking forms need an answer to each required question.
    """

    treatment = forms.ModelChoiceField(label=_("Treatment"), queryset=Treatment.objects.none())
    practitioner = forms.ModelChoiceField(
        label=_("Practitioner"), queryset=Practitioner.objects.none()
    )
    date = forms.DateField(label=_("Date"), widget=DateInput)
    start_time = forms.TimeField(
        label=_("Start time"),
        widget=TimeInput,
        input_formats=["%H:%M", "%H.%M"],
        help_text=_("24-hour clock, in the clinic's time zone: for example 14:30."),
        error_messages={"invalid": _("Enter the time as hours and minutes, like 14:30.")},
    )
    patient = forms.ModelChoiceField(
        label=_("Returning patient"),
        queryset=Patient.objects.none(),
        required=False,
        help_text=_("Type part of their name, phone number or e-mail address, then choose."),
    )
    patient_name = forms.CharField(label=_("Patient name"), max_length=120, required=False)
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False, validators=[phone_validator]
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        max_length=254,
        required=False,
        help_text=_(
            "No e-mail, no patient e-mails: leave it empty and the patient gets no "
            "confirmation or reminder from us, so tell them the day, time and reference now."
        ),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth (optional)"), required=False, widget=DateInput
    )
    reason = MultilineField(
        label=_("Reason for visit"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    as_course = forms.BooleanField(label=_("Book as a course"), required=False)

    def __init__(self, *args, practitioners, patients, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["treatment"].queryset = Treatment.objects.active()
        self._course_field()
        self.fields["practitioner"].queryset = practitioners
        patient = self.fields["patient"]
        patient.widget = PatientAutocomplete(
            AppointmentRequest._meta.get_field("patient"),
            admin_site,
        )
        patient.queryset = patients  # after the widget, which takes its choices from here
        add_intake_fields(self, phone_in_forms(self.fields["treatment"].queryset), staff=True)
        for group in intake_groups(self):
            for field in group.all_fields:
                field.field.required = False  # required for the chosen treatment: see clean()

    def _course_field(self):
        """ "Book as a course of N", naming each treatment's course; gone when none has one."""
        courses = [t for t in self.fields["treatment"].queryset if t.offers_course]
        if not courses:
            del self.fields["as_course"]
            return
        field = self.fields["as_course"]
        chosen = self.data.get("treatment") if self.is_bound else self.initial.get("treatment")
        named = next((t for t in courses if str(t.pk) == str(chosen or "")), None)
        if named is not None:
            field.label = _("Book as a course of %(count)d (%(spacing)s)") % {
                "count": named.course_sessions,
                "spacing": named.get_course_spacing_days_display(),
            }
        field.help_text = _(
            "The time above is session 1; the others follow at the same weekday and time. "
            "You see every session before anything is booked. Courses: %(list)s."
        ) % {
            "list": "; ".join(
                f"{t.name}, {t.course_sessions} {t.get_course_spacing_days_display()}"
                for t in courses
            )
        }

    @property
    def intake_groups(self):
        return intake_groups(self)

    @property
    def new_patient_fields(self):
        return [self[name] for name in ("patient_name", "phone", "email", "date_of_birth")]

    def clean_date(self):
        day = self.cleaned_data["date"]
        today = timezone.localdate()
        if day < today - timedelta(days=30):
            raise forms.ValidationError(_("That date is more than a month ago."))
        if day > today + timedelta(days=2 * 366):
            raise forms.ValidationError(_("That date is more than two years ahead."))
        return day

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born is not None and not date(1900, 1, 1) <= born <= timezone.localdate():
            raise forms.ValidationError(_("Enter a date of birth between 1900 and today."))
        return born

    def clean_patient_name(self):
        return " ".join(self.cleaned_data["patient_name"].split())

    def clean_email(self):
        return email_key(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        typed = [f.name for f in self.new_patient_fields if self.data.get(f.html_name, "").strip()]
        if cleaned.get("patient") is not None:
            for name in typed:
                self.add_error(
                    name,
                    _("Clear this to book the returning patient chosen above, or clear that."),
                )
        elif "patient" not in self.errors:
            if not cleaned.get("patient_name") and "patient_name" not in self.errors:
                self.add_error(
                    "patient_name",
                    _("Enter the new patient's name, or choose a returning patient above."),
                )
            if not cleaned.get("phone") and "phone" not in self.errors:
                self.add_error("phone", _("Enter a phone number so that we can reach them."))
        treatment = cleaned.get("treatment")
        if cleaned.get("as_course") and treatment is not None and not treatment.offers_course:
            self.add_error(
                "as_course",
                _("%(treatment)s is not offered as a course: untick this, or choose another.")
                % {"treatment": treatment.name},
            )
        if treatment is not None:
            for one in booking_forms(treatment):
                for question in one.questions:
                    name = question_name(question)
                    empty = cleaned.get(name) in (None, "", [])
                    if question["required"] and empty and name not in self.errors:
                        self.add_error(name, STAFF_REQUIRED % {"treatment": treatment.name})
        return cleaned

    @property
    def starts_at(self) -> datetime:
        """The chosen start as an aware datetime in the clinic's zone."""
        return datetime.combine(
            self.cleaned_data["date"], self.cleaned_data["start_time"], tzinfo=clinic_zone()
        )

    def patient_details(self) -> PatientDetails:
        data = self.cleaned_data
        record = data["patient"]
        asked = booking_forms(data["treatment"])
        keys = {question["key"] for one in asked for question in one.questions}
        answers = {key: value for key, value in intake_answers(self).items() if key in keys}
        versions = versions_of(asked)
        if record is not None:
            return PatientDetails(
                name=record.name,
                email=record.email,
                phone=record.phone,
                is_new_patient=not record.appointments.exists(),
                reason=data["reason"].strip(),
                answers=answers,
                versions=versions,
            )
        return PatientDetails(
            name=data["patient_name"],
            email=data["email"],
            phone=" ".join(data["phone"].split()),
            is_new_patient=True,
            reason=data["reason"].strip(),
            answers=answers,
            versions=versions,
            date_of_birth=data["date_of_birth"],
        )


class RepeatForm(forms.Form):
    """How many more sessions of an appointment to book, and how far apart."""

    more = forms.IntegerField(
        label=_("How many more sessions"),
        min_value=1,
        max_value=MOST_SESSIONS - 1,
        help_text=_("From 1 to %(most)d. The appointment itself becomes session 1.")
        % {"most": MOST_SESSIONS - 1},
        error_messages={
            "required": _("Enter how many more sessions, from 1 to %(most)d.")
            % {"most": MOST_SESSIONS - 1},
            "invalid": _("Enter a whole number of sessions, from 1 to %(most)d.")
            % {"most": MOST_SESSIONS - 1},
            "min_value": _("Book at least 1 more session."),
            "max_value": _("A course is at most %(most)d sessions, so at most %(more)d more.")
            % {"most": MOST_SESSIONS, "more": MOST_SESSIONS - 1},
        },
        widget=forms.NumberInput(attrs={"min": 1, "max": MOST_SESSIONS - 1, "size": 3}),
    )
    spacing = forms.TypedChoiceField(
        label=_("How often"),
        choices=CourseSpacing.choices,
        coerce=int,
        initial=CourseSpacing.WEEKLY,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose weekly or fortnightly."),
            "invalid_choice": _("Choose weekly or fortnightly."),
        },
    )


class MoveForm(forms.Form):
    """Where an appointment goes: a free time shown on the page, with its practitioner.

    Only the practitioner is checked here; whether the time is still free is
    for the service and PostgreSQL to say, so a clash becomes a clear error.
    """

    choice = forms.CharField(
        label=_("New time"),
        max_length=40,
        error_messages={"required": _("Choose one of the free times.")},
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.practitioners = practitioners

    def clean_choice(self):
        chosen = parse_open_time(self.cleaned_data["choice"], self.practitioners)
        if chosen is None:
            raise forms.ValidationError(_("Choose one of the free times."))
        return chosen


class DayForm(forms.Form):
    """The day whose free times the move page lists."""

    date = forms.DateField(label=_("Show free times on"), widget=DateInput)


class ReasonForm(forms.Form):
    """The reason a patient is given when the clinic declines or cancels their appointment."""

    reason = MultilineField(
        label=_("Reason given to the patient"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Give the patient a reason.")},
    )

    def __init__(self, *args, to_status, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = (
            _("The patient receives this in the e-mail that tells them the request is declined.")
            if to_status == AppointmentStatus.DECLINED
            else _(
                "The patient receives this in the e-mail that tells them the appointment is "
                "cancelled. You see the e-mail before it goes."
            )
        )


class AccessRequestForm(forms.Form):
    FORMATS = [("json", _("JSON")), ("csv", _("CSV"))]

    email = forms.EmailField(label=_("Patient's e-mail address"), max_length=254)
    format = forms.ChoiceField(
        label=_("File format"), choices=FORMATS, initial="json", widget=forms.RadioSelect
    )


class GenerateSlotsForm(forms.Form):
    start = forms.DateField(label=_("First day"), widget=DateInput)
    days = forms.IntegerField(
        label=_("Number of days"),
        min_value=1,
        max_value=366,
        initial=28,
        help_text=_(
            "Slots are made from each practitioner's weekly hours; existing ones are kept."
        ),
    )

    def clean_start(self):
        start = self.cleaned_data["start"]
        today = timezone.localdate()
        if not today - timedelta(days=7) <= start <= today + timedelta(days=366):
            raise forms.ValidationError(_("Choose a first day within the coming year."))
        return start
