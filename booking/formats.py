"""How the booking pages and e-mails write prices and time zones: one way everywhere."""

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
