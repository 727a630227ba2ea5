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
