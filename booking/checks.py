"""Deployment checks for the booking e-mails (`manage.py check --deploy`)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 - names, not a bind


@register(Tags.security, deploy=True)
def site_url_is_public(app_configs, **kwargs):
    """Every e-mail and calendar file links to SITE_URL: in production it must be public https."""
    if not getattr(settings, "HTTPS", False):
        return []
    parts = urlsplit(settings.SITE_URL)
    host = (parts.hostname or "").lower()
    if (
        parts.scheme == "https"
        and host
        and host not in LOCAL_HOSTS
        and not host.endswith(".localhost")
    ):
        return []
    return [
        Error(
            f"SITE_URL is {settings.SITE_URL!r}, but HTTPS is on: the links in booking e-mails "
            "and calendar files would point nowhere a patient can reach.",
            hint="Set SITE_URL to the site's public https address, e.g. https://clinic.example.",
            id="booking.E001",
        )
    ]
