"""Absolute links to the site for e-mails and calendar files.

E-mails are rendered by the worker, where no request exists to build absolute
URLs from, so they use the SITE_URL setting.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from booking.models import AppointmentRequest


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def manage_url(appointment: AppointmentRequest) -> str:
    """The patient's private page to view, reschedule or cancel the appointment."""
    try:
        path = reverse("booking:manage", kwargs={"token": appointment.manage_token})
    except NoReverseMatch:
        # Only while the booking pages are being built; never in a release.
        return ""
    return absolute_url(path)


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
