"""Forms of the staff workspace in admin (phone-in booking, decline, privacy, slots)."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.admin.schedule import clinic_zone
from booking.models import Practitioner, Treatment


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class PhoneInBookingForm(forms.Form):
    """A patient on the phone: staff book a time straight into the diary."""

    treatment = forms.ModelChoiceField(label=_("Treatment"), queryset=Treatment.objects.none())
    practitioner = forms.ModelChoiceField(
        label=_("Practitioner"), queryset=Practitioner.objects.none()
    )
    date = forms.DateField(label=_("Date"), widget=DateInput)
    start_time = forms.TimeField(
        label=_("Start time"),
        widget=TimeInput(format="%H:%M"),
        help_text=_("In the clinic's time zone."),
    )
    patient_name = forms.CharField(label=_("Patient name"), max_length=120)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=32)
    is_new_patient = forms.BooleanField(label=_("New patient"), required=False, initial=True)
    reason = forms.CharField(
        label=_("Reason for visit"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["treatment"].queryset = Treatment.objects.active()
        self.fields["practitioner"].queryset = practitioners

    def clean_date(self):
        day = self.cleaned_data["date"]
        today = timezone.localdate()
        if day < today - timedelta(days=30):
            raise forms.ValidationError(_("That date is more than a month ago."))
        if day > today + timedelta(days=2 * 366):
            raise forms.ValidationError(_("That date is more than two years ahead."))
        return day

    @property
    def starts_at(self) -> datetime:
        """The chosen start as an aware datetime in the clinic's zone."""
        return datetime.combine(
            self.cleaned_data["date"], self.cleaned_data["start_time"], tzinfo=clinic_zone()
        )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason given to the patient"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The patient receives this in the e-mail that tells them the request is declined."
        ),
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
