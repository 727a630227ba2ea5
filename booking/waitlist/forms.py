"""The waitlist's forms: joining (the booking details, plus what to wait for) and claiming.
Every field says what is wrong next to it."""

from datetime import date, datetime

from django import forms
from django.utils import dateformat

from booking.availability import clinic_zone
from booking.forms import (
    ANY_PRACTITIONER,
    DetailsForm,
    Honeypot,
)
from booking.intake.fields import IntakeQuestionsMixin, add_intake_fields
from booking.intake.questions import Asked, versions_of
from booking.models import Practitioner, Treatment
from booking.waitlist.services import last_waitlist_day

TIMES_OF_DAY = [
    ("mornings", "Mornings (before 12:00)"),
    ("afternoons", "Afternoons (12:00 to 17:00)"),
    ("evenings", "Evenings (17:00 and later)"),
]

DATE_ERRORS = {
    "required": "Enter a date.",
    "invalid": "Enter a real date, for example 24/06/2027.",
}


class WaitlistJoinForm(DetailsForm):
    """What the patient waits for, then the same details, consent and checks as a booking."""

    submit_label = "Join the waitlist"

    treatment = forms.ModelChoiceField(
        queryset=Treatment.objects.none(),
        to_field_name="slug",
        label="Treatment",
        empty_label=None,
        error_messages={
            "required": "Choose a treatment.",
            "invalid_choice": "That treatment is not available. Choose one from the list.",
        },
    )
    practitioner = forms.ChoiceField(
        label="Practitioner",
        error_messages={
            "required": "Choose a practitioner, or any practitioner.",
            "invalid_choice": "Choose a practitioner from the list, or any practitioner.",
        },
    )
    first_day = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=DATE_ERRORS,
    )
    last_day = forms.DateField(
        label="Until",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=DATE_ERRORS,
    )
    times_of_day = forms.MultipleChoiceField(
        label="Which times of day suit you?",
        choices=TIMES_OF_DAY,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one time of day.",
            "invalid_choice": "Choose times of day from the list.",
        },
    )

    def __init__(self, *args, now: datetime, **kwargs):
        super().__init__(*args, asked=[], **kwargs)
        self.today = now.astimezone(clinic_zone()).date()
        self.last_possible = last_waitlist_day(now=now)
        self.fields["treatment"].queryset = Treatment.objects.active()
        self.practitioners = list(Practitioner.objects.active().prefetch_related("treatments"))
        self.fields["practitioner"].choices = [
            (ANY_PRACTITIONER, "Any practitioner who offers it"),
            *((p.slug, p.name) for p in self.practitioners),
        ]
        self.fields["email"].help_text = "We send the confirmation and any offers here."
        self.fields["consent"].error_messages = {
            "required": "Please agree to the privacy notice so we can put you on the waitlist."
        }
        self.fields[
            "reason"
        ].help_text = "A few words are enough. Only the clinic sees this; it is never e-mailed."
        for name in ("first_day", "last_day"):
            widget = self.fields[name].widget
            widget.attrs["min"] = self.today.isoformat()
            widget.attrs["max"] = self.last_possible.isoformat()
        self.fields[
            "last_day"
        ].help_text = f"Up to {_written(self.last_possible)}, the last day we take bookings for."
        self.order_fields(
            [
                "treatment",
                "practitioner",
                "first_day",
                "last_day",
                "times_of_day",
                "name",
                "email",
                "phone",
                "patient_type",
                "reason",
                "consent",
                "website",
                "started",
            ]
        )

    @property
    def wish_fields(self):
        return [self[name] for name in ("treatment", "practitioner", "first_day", "last_day")]

    def clean_first_day(self):
        day = self.cleaned_data["first_day"]
        if day < self.today:
            raise forms.ValidationError("The first day cannot be in the past.")
        if day > self.last_possible:
            raise forms.ValidationError(
                f"We take bookings up to {_written(self.last_possible)}. Choose an earlier day."
            )
        return day

    def clean_last_day(self):
        day = self.cleaned_data["last_day"]
        if day < self.today:
            raise forms.ValidationError("The last day cannot be in the past.")
        if day > self.last_possible:
            raise forms.ValidationError(
                f"We take bookings up to {_written(self.last_possible)}. Choose that day or an "
                "earlier one."
            )
        return day

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", "The last day cannot be before the first day.")
        treatment, slug = cleaned.get("treatment"), cleaned.get("practitioner")
        if treatment and slug and slug != ANY_PRACTITIONER:
            practitioner = self.chosen_practitioner
            if practitioner is not None and treatment not in practitioner.treatments.all():
                self.add_error(
                    "practitioner",
                    f"{practitioner.name} does not offer {treatment.name}. "
                    "Choose another practitioner, or any practitioner.",
                )
        return cleaned

    @property
    def chosen_practitioner(self) -> Practitioner | None:
        slug = self.cleaned_data.get("practitioner")
        return next((p for p in self.practitioners if p.slug == slug), None)

    @property
    def times_of_day_wanted(self) -> tuple[bool, bool, bool]:
        chosen = set(self.cleaned_data["times_of_day"])
        return tuple(value in chosen for value, _label in TIMES_OF_DAY)


def _written(day: date) -> str:
    return dateformat.format(day, "l j F Y")


class ClaimForm(IntakeQuestionsMixin, Honeypot):
    """Booking an offered time: the treatment's booking questions, nothing else."""

    def __init__(self, *args, asked: list[Asked], **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = asked
        add_intake_fields(self, asked)
        self.order_fields([name for name in self.fields if name != "website"] + ["website"])

    def versions(self) -> dict[str, int]:
        return versions_of(self.asked)
