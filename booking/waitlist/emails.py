"""The e-mails of the waitlist and of "find my booking": what they say, and when they are moot.

booking.emails sends them like every other e-mail (same row, same retries);
this module only renders them. Like the appointment e-mails they carry no
health details: no reason for the visit and no screening answers.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from booking.availability import clinic_zone
from booking.formats import email_clinic, zone_label
from booking.links import book_url, manage_url, offer_url, waitlist_url
from booking.models import (
    AppointmentRequest,
    Notification,
    NotificationKind,
    WaitlistEntry,
    WaitlistOfferStatus,
)
from clinic.validators import single_line

Kind = NotificationKind

KINDS = {Kind.WAITLIST_JOINED, Kind.WAITLIST_OFFER, Kind.BOOKING_LINKS}


@dataclass(frozen=True)
class Rendered:
    subject: str
    to: str
    text: str
    html: str


def _day(moment_or_date) -> str:
    return dateformat.format(moment_or_date, "l j F Y")


def _time(moment: datetime) -> str:
    return dateformat.format(timezone.localtime(moment, clinic_zone()), "H:i")


def entry_summary(entry: WaitlistEntry) -> dict[str, str]:
    """An entry as the patient reads it: what, with whom, which days and times of day."""
    return {
        "reference": entry.reference,
        "treatment": entry.treatment.name,
        "practitioner": entry.practitioner.name if entry.practitioner else _("any practitioner"),
        "days": _day(entry.first_day)
        if entry.first_day == entry.last_day
        else f"{_day(entry.first_day)} to {_day(entry.last_day)}",
        "times_of_day": entry.times_of_day_label,
        "url": waitlist_url(entry),
    }


def not_needed_because(notification: Notification, *, now: datetime) -> str:
    """Why this e-mail should not go out any more, or "" when it should."""
    if notification.kind == Kind.WAITLIST_JOINED:
        entry = notification.waitlist_entry
        if entry.anonymised_at is not None:
            return "the patient's details have been removed"
        if not entry.is_waiting or entry.last_day < timezone.localdate(now, clinic_zone()):
            return f"the entry is now {entry.get_status_display().lower()}"
        return ""
    if notification.kind == Kind.WAITLIST_OFFER:
        offer = notification.offer
        if offer.status != WaitlistOfferStatus.OPEN:
            return f"the offer is now {offer.get_status_display().lower()}"
        if offer.expires_at <= now:
            return "the offer has expired"
        return ""
    if not _links_of(notification.email, now=now):
        return "the address has no upcoming appointment or waitlist entry any more"
    return ""


def _links_of(email: str, *, now: datetime) -> tuple[list, list]:
    appointments = list(
        AppointmentRequest.objects.upcoming_for_email(email, now=now).select_related(
            "treatment", "practitioner"
        )
    )
    entries = list(
        WaitlistEntry.objects.waiting_for_email(
            email, today=timezone.localdate(now, clinic_zone())
        ).select_related("treatment", "practitioner")
    )
    return (appointments, entries) if appointments or entries else ()


def render(notification: Notification, clinic, *, now: datetime) -> Rendered:
    """Subject, recipient, plain text and HTML of one waitlist or links e-mail."""
    context = {
        "clinic": email_clinic(clinic),
        "book_url": book_url(),
        "site_url": settings.SITE_URL,
        "zone": zone_label(),
    }
    kind = notification.kind
    if kind == Kind.WAITLIST_JOINED:
        entry = notification.waitlist_entry
        context.update(patient_name=entry.patient_name, entry=entry_summary(entry))
        subject = _("You are on the waitlist: %(treatment)s") % {"treatment": entry.treatment.name}
        to = entry.email
    elif kind == Kind.WAITLIST_OFFER:
        offer = notification.offer
        entry = offer.entry
        offered = {
            "treatment": entry.treatment.name,
            "minutes": entry.treatment.duration_minutes,
            "practitioner": offer.practitioner.name,
            "date": _day(timezone.localtime(offer.starts_at, clinic_zone())),
            "starts": _time(offer.starts_at),
            "ends": _time(offer.ends_at),
            "expires": _time(offer.expires_at),
            "expires_date": _day(timezone.localtime(offer.expires_at, clinic_zone())),
            "url": offer_url(offer),
            "is_request": entry.treatment.requires_confirmation,
            "needle_based": entry.treatment.is_needle_based,
        }
        context.update(patient_name=entry.patient_name, offer=offered, entry=entry_summary(entry))
        subject = _("A time has come free: %(treatment)s, %(date)s at %(time)s") % {
            "treatment": entry.treatment.name,
            "date": offered["date"],
            "time": offered["starts"],
        }
        to = entry.email
    else:
        appointments, entries = _links_of(notification.email, now=now) or ([], [])
        context.update(
            appointments=[
                {
                    "reference": a.reference,
                    "treatment": a.treatment.name,
                    "practitioner": a.practitioner.name,
                    "date": _day(timezone.localtime(a.starts_at, clinic_zone())),
                    "starts": _time(a.starts_at),
                    "status": a.get_status_display(),
                    "url": manage_url(a),
                }
                for a in appointments
            ],
            entries=[entry_summary(entry) for entry in entries],
        )
        subject = _("Your links for %(clinic)s") % {"clinic": clinic.name}
        to = notification.email
    context["subject"] = single_line(subject)
    return Rendered(
        subject=context["subject"],
        to=to,
        text=render_to_string(f"booking/email/{kind}.txt", context),
        html=render_to_string(f"booking/email/{kind}.html", context),
    )
