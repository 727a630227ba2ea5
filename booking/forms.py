"""Forms of the booking flow. Every field says what is wrong next to it."""

import time as clock
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html

from booking.formats import price
from booking.intake.fields import (
    add_intake_fields,
    clean_intake,
    intake_answers,
    intake_field_names,
    intake_groups,
    intake_initial,
)
from booking.intake.questions import Asked, versions_of
from booking.models import ANY_PRACTITIONER, Confirmation, Practitioner, Treatment
from booking.services import PatientDetails
from booking.validators import phone_validator
from clinic.forms import MultilineField
from clinic.validators import tidy_name, validate_has_letter, validate_single_line
from images.rendering import picture_html

_FILL_SALT = "booking.details.started.v2"

TOO_FAST = "Please check your answers and press Continue again."


def too_fast(button: str) -> str:
    """Sent back quicker than a person types: ask again, naming the button to press."""
    return f"Please check your answers and press {button} again."


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
        field.label_from_instance = treatment_label


def treatment_label(treatment: Treatment) -> str:
    """ "Dry needling · 45 minutes · £65", and a word on how a request works."""
    facts = f"{treatment.name} · {treatment.duration_minutes} minutes · {price(treatment.price)}"
    if treatment.requires_confirmation:
        return format_html(
            '{}<span class="booking-choice__note">A request: we confirm the time by e-mail, '
            "usually within one working day.</span>",
            facts,
        )
    if treatment.confirmation == Confirmation.REVIEW:
        return format_html(
            '{}<span class="booking-choice__note">Booked at once, unless an answer to the '
            "safety questions needs a look from us first.</span>",
            facts,
        )
    return format_html(
        '{}<span class="booking-choice__note">Booked at once.</span>',
        facts,
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

    def __init__(self, *args, practitioners, next_free=None, **kwargs):
        super().__init__(*args, **kwargs)
        next_free = next_free or {}
        soonest = min(next_free.values(), default=None)
        self.fields["practitioner"].choices = [
            (ANY_PRACTITIONER, _practitioner_label("First available practitioner", soonest)),
            *(
                (
                    p.slug,
                    _practitioner_label(
                        f"{p.name}{f', {p.credentials}' if p.credentials else ''}",
                        next_free.get(p.pk),
                        photo=p,
                    ),
                )
                for p in practitioners
            ),
        ]


def _practitioner_label(name: str, next_free, photo: Practitioner | None = None) -> str:
    if next_free is None:
        when = "No free time online at the moment"
    else:
        local = timezone.localtime(next_free)
        when = f"Next free: {dateformat.format(local, 'D j M, H:i')}"
    if photo is not None and photo.photo_id:
        # The name beside it says who it is: the photo is decorative here.
        return format_html(
            '{}<span class="booking-choice__text">{}<span class="booking-choice__note">{}</span>'
            "</span>",
            picture_html(photo.photo, sizes="3rem", css_class="booking-choice__photo", alt=""),
            name,
            when,
        )
    return format_html(
        '<span class="booking-choice__text">{}<span class="booking-choice__note">{}</span></span>',
        name,
        when,
    )


def fill_token_new(started: float | None = None, *, asked: bool = False) -> str:
    """A signed note of when the details form was first shown, and whether we asked again."""
    return signing.dumps(
        {"t": clock.time() if started is None else started, "a": asked}, salt=_FILL_SALT
    )


def fill_token_read(value: str) -> tuple[float | None, bool]:
    """(when the form was first shown, whether the patient was asked again); None if unreadable."""
    try:
        data = signing.loads(value or "", salt=_FILL_SALT, max_age=86400)
        return float(data["t"]), bool(data["a"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None, False


def email_field(help_text: str) -> forms.EmailField:
    return forms.EmailField(
        label="E-mail address",
        max_length=254,
        help_text=help_text,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your e-mail address.",
            "invalid": "Enter an e-mail address like name@example.com.",
            "max_length": "An e-mail address can be at most 254 characters.",
        },
    )


def honeypot_field() -> forms.CharField:
    """A field people never see and bots fill in."""
    return forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )


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
    email = email_field("We send the confirmation and your private link here.")
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
    reason = MultilineField(
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
    website = honeypot_field()
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    submit_label = "Continue"  # the button the form's messages name

    def __init__(self, *args, asked: list[Asked], is_request: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_spam = False
        self.asked = asked
        self.started_at: float | None = None
        self.fill_asked = False
        if not self.is_bound:
            self.initial.setdefault("started", fill_token_new())
        if is_request:
            self.fields[
                "email"
            ].help_text = "We send news of your request and your private link here."
        privacy = reverse("privacy")
        self.fields["consent"].help_text = format_html(
            'Read our <a href="{}">privacy notice</a>.', privacy
        )
        add_intake_fields(self, asked)
        # Keep the field order readable: the treatment's questions before consent.
        order = ["name", "email", "phone", "patient_type", "reason"]
        order += intake_field_names(self)
        order += ["consent", "website", "started"]
        self.order_fields(order)

    @property
    def intake_groups(self):
        return intake_groups(self)

    @property
    def contact_fields(self):
        return [self[name] for name in ["name", "email", "phone", "patient_type", "reason"]]

    def clean_name(self):
        name = tidy_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Enter your full name.")
        try:
            validate_single_line(name)
        except ValidationError:
            raise forms.ValidationError(
                "Enter your name on one line, without line breaks or tabs."
            ) from None
        try:
            validate_has_letter(name)
        except ValidationError:
            raise forms.ValidationError("Enter your name in letters.") from None
        return name

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        clean_intake(self, cleaned)
        if cleaned.get("website"):
            self.is_spam = True
            raise forms.ValidationError("We could not accept this form.", code="spam")
        started, asked = fill_token_read(cleaned.get("started"))
        self.started_at, self.fill_asked = started, asked
        minimum = settings.BOOKING_MIN_FILL_SECONDS
        if minimum and not asked and (started is None or clock.time() - started < minimum):
            # Quicker than a person types (browser autofill can be). The next
            # press passes however fast it comes: the form remembers it asked,
            # and keeps when it was first shown. A script must now read the page.
            self.data = self.data.copy()
            self.data["started"] = fill_token_new(started, asked=True)
            if not self.errors:  # with other mistakes to fix, asking again is noise
                raise forms.ValidationError(too_fast(self.submit_label), code="too_fast")
        if started is None:
            self.started_at = clock.time()
        return cleaned

    def patient_details(self) -> PatientDetails:
        data = self.cleaned_data
        return PatientDetails(
            name=data["name"],
            email=data["email"],
            phone=" ".join(data["phone"].split()),
            is_new_patient=data["patient_type"] == "new",
            reason=data["reason"].strip(),
            answers=intake_answers(self),
            versions=versions_of(self.asked),
        )


# --- Details carried from the review page to the confirm step, signed. ---
#
# The signature covers the treatment they were given for, the review form's
# single-use booking key, when the details form was first shown and the session
# it was shown to, so they cannot be moved to another treatment, once the key
# has booked they are spent, and they show that booking to no other browser.

_DETAILS_SALT = "booking.details.v2"
DETAILS_MAX_AGE = 60 * 60 * 2


@dataclass(frozen=True)
class SignedDetails:
    details: PatientDetails
    treatment: str  # the slug they were given for
    key: str  # the single-use booking key
    started: float  # when the details form was first shown
    asked: bool = False  # sent back too fast once and asked again: a person, let it through
    expired: bool = False
    binding: str = ""  # the session that was shown the review page (booking.session.binding)


def details_data(details: PatientDetails) -> dict:
    return {
        "name": details.name,
        "email": details.email,
        "phone": details.phone,
        "new": details.is_new_patient,
        "reason": details.reason,
        "answers": details.answers,
        "versions": details.versions,
    }


def details_from_data(data: dict) -> PatientDetails:
    return PatientDetails(
        name=str(data["name"]),
        email=str(data["email"]),
        phone=str(data["phone"]),
        is_new_patient=bool(data["new"]),
        reason=str(data["reason"]),
        answers={str(k): v for k, v in dict(data.get("answers") or {}).items()},
        versions={str(k): int(v) for k, v in dict(data.get("versions") or {}).items()},
    )


def details_sign(
    details: PatientDetails,
    *,
    treatment: str,
    key: str,
    started: float | None = None,
    asked: bool = False,
    binding: str = "",
) -> str:
    payload = details_data(details)
    payload.update(
        treatment=treatment,
        key=key,
        started=clock.time() if started is None else started,
        asked=asked,
        binding=binding,
    )
    return signing.dumps(payload, salt=_DETAILS_SALT, compress=True)


def details_unsign(value: str) -> SignedDetails | None:
    """The signed details back; None if tampered with. Old ones come back marked expired."""
    expired = False
    try:
        data = signing.loads(value or "", salt=_DETAILS_SALT, max_age=DETAILS_MAX_AGE)
    except signing.SignatureExpired:
        expired = True
        try:
            data = signing.loads(value or "", salt=_DETAILS_SALT)
        except signing.BadSignature:
            return None
    except signing.BadSignature:
        return None
    try:
        return SignedDetails(
            details=details_from_data(data),
            treatment=str(data["treatment"]),
            key=str(data["key"]),
            started=float(data["started"]),
            asked=bool(data.get("asked")),
            expired=expired,
            binding=str(data.get("binding", "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def details_initial(
    details: PatientDetails, *, asked: list[Asked] = (), started: float | None = None
) -> dict:
    """Prefill the details form with what was typed before (nothing is lost)."""
    initial = {
        "name": details.name,
        "email": details.email,
        "phone": details.phone,
        "patient_type": "new" if details.is_new_patient else "returning",
        "reason": details.reason,
        "consent": True,
    }
    initial.update(intake_initial(list(asked), details.answers))
    if started is not None:
        # The first showing counts: this is the same patient coming back.
        initial["started"] = fill_token_new(started)
    return initial


class Honeypot(forms.Form):
    """A form whose only check against bots is the field people never see."""

    website = honeypot_field()

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website"))


class FindBookingForm(Honeypot):
    """ "Find my booking": the address to send the private links to."""

    email = email_field("The address you booked or joined the waitlist with.")

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()
