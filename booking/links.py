"""Absolute links to the site for e-mails and calendar files.

E-mails are rendered by the worker, where no request exists to build absolute
URLs from, so they use the SITE_URL setting (`make run` sets it from HOST and
PORT; production sets it to the public https address).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from booking.models import AppointmentRequest, WaitlistEntry, WaitlistOffer
from booking.tokens import OFFER_SALT, WAITLIST_SALT, private_token_for


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def manage_token(appointment: AppointmentRequest) -> str:
    """The token in the appointment's private link ("" if it cannot be written again)."""
    return private_token_for(
        reference=appointment.reference, stored_hash=appointment.manage_token_hash
    )


def _token_url(name: str, appointment: AppointmentRequest) -> str:
    token = manage_token(appointment)
    if not token:
        return ""
    try:
        path = reverse(name, kwargs={"token": token})
    except NoReverseMatch:
        # Only while the booking pages are being built; never in a release.
        return ""
    return absolute_url(path)


def manage_url(appointment: AppointmentRequest) -> str:
    """The patient's private page to view, reschedule or cancel the appointment."""
    return _token_url("booking:manage", appointment)


def ics_url(appointment: AppointmentRequest) -> str:
    """The calendar file, straight from the link: calendar apps carry no session."""
    return _token_url("booking:ics", appointment)


def _private_url(name: str, token: str) -> str:
    if not token:
        return ""
    try:
        return absolute_url(reverse(name, kwargs={"token": token}))
    except NoReverseMatch:
        return ""


def waitlist_url(entry: WaitlistEntry) -> str:
    """The patient's private page of their place on the waitlist (see it, leave it)."""
    token = private_token_for(
        reference=entry.reference, stored_hash=entry.token_hash, salt=WAITLIST_SALT
    )
    return _private_url("booking:waitlist_link", token)


def offer_url(offer: WaitlistOffer) -> str:
    """The private page that claims a freed time (it books only on a POST)."""
    token = private_token_for(
        reference=offer.reference, stored_hash=offer.token_hash, salt=OFFER_SALT
    )
    return _private_url("booking:offer_link", token)


def book_url() -> str:
    try:
        return absolute_url(reverse("booking:start"))
    except NoReverseMatch:
        return ""


def admin_change_url(appointment: AppointmentRequest) -> str:
    try:
        path = reverse("admin:booking_appointmentrequest_change", args=[appointment.pk])
    except NoReverseMatch:
        return ""
    return absolute_url(path)
