"""Forms of the booking flow. Every field says what is wrong next to it."""

import time as clock

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils.html import format_html

from booking.models import Practitioner, Treatment
from booking.services import PatientDetails

ANY_PRACTITIONER = "any"

SCREENING_QUESTIONS = [
    ("pregnant", "Are you pregnant, or could you be?"),
    ("bleeding", "Do you have a bleeding disorder, or do you take blood-thinning medicine?"),
    ("needle_fear", "Are you afraid of needles, or have you ever fainted with them?"),
    ("implant", "Do you have a pacemaker or another implanted device?"),
    (
        "recent_surgery",
        "Have you had surgery or an infection at the area to be treated in the last six weeks?",
    ),
]

YES_NO = [("no", "No"), ("yes", "Yes")]

_FILL_SALT = "booking.details.started"

phone_validator = RegexValidator(
    r"^(?=(?:\D*\d){7,20}\D*$)[0-9 +()\-]+$",
    "Enter a phone number of 7 to 20 digits (spaces, +, brackets and hyphens are fine).",
)


class TreatmentChoiceForm(forms.Form):
    treatment = forms.ModelChoiceField(
        queryset=Treatment.objects.none(),
        to_field_name="slug",
        widget=forms.RadioSelect,
        label="Which treatment would you like?",
        empty_label=None,
        error_messages={
            "required": "Choose a treatment.",
            "invalid_choice": "That treatment is not available. Choose one from the list.",
        },
    )

    def __init__(self, *args, treatments, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["treatment"]
        field.queryset = treatments
        field.label_from_instance = lambda t: (
            f"{t.name} · {t.duration_minutes} minutes · £{t.price:.2f}"
        )


class PractitionerChoiceForm(forms.Form):
    practitioner = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="Who would you like to see?",
        error_messages={
            "required": "Choose a practitioner, or the first available.",
            "invalid_choice": "That practitioner does not offer this treatment. Choose again.",
        },
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].choices = [
            (ANY_PRACTITIONER, "First available practitioner"),
            *(
                (p.slug, f"{p.name}{f', {p.credentials}' if p.credentials else ''}")
                for p in practitioners
            ),
        ]


def fill_token_new() -> str:
    """A signed timestamp: when the details form was shown."""
    return signing.dumps(clock.time(), salt=_FILL_SALT)


class DetailsForm(forms.Form):
    name = forms.CharField(
        label="Full name",
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={
            "required": "Enter your full name.",
            "max_length": "Your name can be at most 120 characters.",
        },
    )
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        help_text="We send the confirmation and your private link here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your e-mail address.",
            "invalid": "Enter an e-mail address like name@example.com.",
        },
    )
    phone = forms.CharField(
        label="Phone number",
        max_length=32,
        validators=[phone_validator],
        help_text="In case we need to reach you before the visit.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        error_messages={"required": "Enter a phone number.", "max_length": "That is too long."},
    )
    patient_type = forms.ChoiceField(
        label="Have you been to the clinic before?",
        choices=[("new", "No, this is my first visit"), ("returning", "Yes, I have been before")],
        widget=forms.RadioSelect,
        error_messages={"required": "Tell us whether you have been before."},
    )
    reason = forms.CharField(
        label="What would you like help with? (optional)",
        required=False,
        max_length=2000,
        help_text="A few words are enough. Only the clinic sees this; it is never e-mailed.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Please keep this under 2,000 characters."},
    )
    consent = forms.BooleanField(
        label="I agree that the clinic keeps these details to arrange my care.",
        error_messages={"required": "Please agree to the privacy notice so we can book you in."},
    )
    # A field people never see and bots fill in.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, needle_based: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_spam = False
        self.needle_based = needle_based
        if not self.is_bound:
            self.initial.setdefault("started", fill_token_new())
        privacy = reverse("privacy")
        self.fields["consent"].help_text = format_html(
            'Read our <a href="{}">privacy notice</a>.', privacy
        )
        if needle_based:
            for key, question in SCREENING_QUESTIONS:
                self.fields[f"screening_{key}"] = forms.ChoiceField(
                    label=question,
                    choices=YES_NO,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Please answer yes or no."},
                )
        # Keep the field order readable: screening before consent.
        order = ["name", "email", "phone", "patient_type", "reason"]
        order += [f"screening_{key}" for key, _ in SCREENING_QUESTIONS if needle_based]
        order += ["consent", "website", "started"]
        self.order_fields(order)

    @property
    def screening_fields(self):
        return [self[name] for name in self.fields if name.startswith("screening_")]

    @property
    def contact_fields(self):
        return [self[name] for name in ["name", "email", "phone", "patient_type", "reason"]]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Enter your full name.")
        return name

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            self.is_spam = True
            raise forms.ValidationError("We could not accept this form.", code="spam")
        minimum = settings.BOOKING_MIN_FILL_SECONDS
        try:
            started = signing.loads(cleaned.get("started") or "", salt=_FILL_SALT, max_age=86400)
        except signing.BadSignature:
            started = None
        if minimum and (started is None or clock.time() - float(started) < minimum):
            # Too quick for a person (or the form is a day old): ask once more.
            self.data = self.data.copy()
            self.data["started"] = fill_token_new()
            raise forms.ValidationError(
                "Please check your details and send the form again.", code="too_fast"
            )
        return cleaned

    def patient_details(self) -> PatientDetails:
        data = self.cleaned_data
        return PatientDetails(
            name=data["name"],
            email=data["email"],
            phone=" ".join(data["phone"].split()),
            is_new_patient=data["patient_type"] == "new",
            reason=data["reason"].strip(),
            screening={key: data[f"screening_{key}"] == "yes" for key, _ in SCREENING_QUESTIONS}
            if self.needle_based
            else {},
        )


# --- Details carried from the details step to the confirm step, signed. ---

_DETAILS_SALT = "booking.details.v1"
DETAILS_MAX_AGE = 60 * 60 * 2


def details_sign(details: PatientDetails) -> str:
    return signing.dumps(
        {
            "name": details.name,
            "email": details.email,
            "phone": details.phone,
            "new": details.is_new_patient,
            "reason": details.reason,
            "screening": details.screening,
        },
        salt=_DETAILS_SALT,
        compress=True,
    )


def details_unsign(value: str) -> PatientDetails | None:
    """The patient's details back from the signed value; None if tampered or stale."""
    try:
        data = signing.loads(value, salt=_DETAILS_SALT, max_age=DETAILS_MAX_AGE)
        return PatientDetails(
            name=str(data["name"]),
            email=str(data["email"]),
            phone=str(data["phone"]),
            is_new_patient=bool(data["new"]),
            reason=str(data["reason"]),
            screening={str(k): bool(v) for k, v in dict(data["screening"]).items()},
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def details_initial(details: PatientDetails) -> dict:
    """Prefill the details form from signed details (the "Change details" button)."""
    initial = {
        "name": details.name,
        "email": details.email,
        "phone": details.phone,
        "patient_type": "new" if details.is_new_patient else "returning",
        "reason": details.reason,
        "consent": True,
    }
    for key, answer in details.screening.items():
        initial[f"screening_{key}"] = "yes" if answer else "no"
    return initial


def practitioners_choice(practitioners: list[Practitioner]) -> list[tuple[str, str]]:
    return [(p.slug, p.name) for p in practitioners]
