"""How the booking pages, e-mails and calendars write prices, zones and the clinic: one way."""

from decimal import Decimal

from django.conf import settings


def price(value) -> str:
    """£65 for whole pounds, £65.50 with pence (as GOV.UK writes money)."""
    amount = Decimal(value)
    if amount == amount.to_integral_value():
        return f"£{amount:,.0f}"
    return f"£{amount:,.2f}"


def zone_label() -> str:
    """How times are labelled on the site and in e-mails alike: "London time"."""
    return settings.TIME_ZONE.split("/")[-1].replace("_", " ") + " time"


def clinic_location(clinic) -> str:
    place = " ".join(part for part in [clinic.locality, clinic.postal_code] if part)
    return ", ".join(part for part in [clinic.name, clinic.street_address, place] if part)


def email_clinic(clinic) -> dict:
    """The clinic as every e-mail's header, footer and policy paragraphs show it."""
    return {
        "name": clinic.name,
        "phone": clinic.phone,
        "email": clinic.email,
        "address": clinic_location(clinic),
        "cancellation_policy": clinic.cancellation_policy,
        "late_cancellation_hours": clinic.late_cancellation_hours,
    }


# An appointment's status as one sentence to the patient: "You cancelled this
# appointment", never "This appointment is cancelled by patient".
_STATUS_SENTENCES = {
    "requested": "This appointment is a request: we confirm it by e-mail.",
    "confirmed": "This appointment is confirmed.",
    "completed": "This appointment has taken place.",
    "no_show": "This appointment was missed.",
    "declined": "We could not offer you this appointment.",
    "cancelled_by_patient": "You cancelled this appointment.",
    "cancelled_by_clinic": "The clinic cancelled this appointment.",
}


def status_sentence(status: str) -> str:
    return _STATUS_SENTENCES.get(status, "This appointment can no longer be changed online.")


# The status badge on the patient's own pages: staff's words where they read well.
_PATIENT_STATUS_LABELS = {
    "cancelled_by_patient": "Cancelled by you",
    "cancelled_by_clinic": "Cancelled by the clinic",
    "declined": "Not available",
    "no_show": "Missed",
}


def patient_status_label(status: str, staff_label: str) -> str:
    return _PATIENT_STATUS_LABELS.get(status, staff_label)
