"""How the booking pages, e-mails and calendars write prices, zones and the clinic: one way."""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from booking.availability import clinic_zone
from booking.links import book_url, waitlist_url


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


def long_day(moment_or_date: date | datetime) -> str:
    """ "Thursday 10 December 2026", as the e-mails write a day."""
    if isinstance(moment_or_date, datetime):
        moment_or_date = timezone.localtime(moment_or_date, clinic_zone())
    return dateformat.format(moment_or_date, "l j F Y")


def clinic_time(moment: datetime) -> str:
    return dateformat.format(timezone.localtime(moment, clinic_zone()), "H:i")


def waitlist_entry_summary(entry) -> dict[str, str]:
    """A waitlist place as the patient reads it: what, with whom, which days and times of day."""
    return {
        "reference": entry.reference,
        "treatment": entry.treatment.name,
        "practitioner": entry.practitioner.name if entry.practitioner else _("any practitioner"),
        "days": long_day(entry.first_day)
        if entry.first_day == entry.last_day
        else f"{long_day(entry.first_day)} to {long_day(entry.last_day)}",
        "times_of_day": entry.times_of_day_label,
        "url": waitlist_url(entry),
    }


def email_context(clinic) -> dict:
    """What every e-mail template is given about the clinic and the site."""
    return {
        "clinic": email_clinic(clinic),
        "book_url": book_url(),
        "site_url": settings.SITE_URL,
        "zone": zone_label(),
    }
