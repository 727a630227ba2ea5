"""The waitlist's e-mails: what they say, and when they are moot.

booking.emails sends them like every other e-mail (same row, same retries);
this module only renders them (registered in booking.waitlist.apps). Like the
appointment e-mails they carry no health details: no reason for the visit and
no screening answers.
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from booking.availability import clinic_zone
from booking.emails import Rendered, rendered_email
from booking.formats import clinic_time, email_context, long_day, waitlist_entry_summary
from booking.intake.questions import asks_questions
from booking.links import offer_url
from booking.models import Notification, NotificationKind, WaitlistOfferStatus

KINDS = {NotificationKind.WAITLIST_JOINED, NotificationKind.WAITLIST_OFFER}


def not_needed_because(notification: Notification, *, now: datetime) -> str:
    """Why this e-mail should not go out any more, or "" when it should."""
    if notification.kind == NotificationKind.WAITLIST_JOINED:
        entry = notification.waitlist_entry
        if entry.anonymised_at is not None:
            return "the patient's details have been removed"
        if not entry.is_waiting or entry.last_day < timezone.localdate(now, clinic_zone()):
            return f"the entry is now {entry.get_status_display().lower()}"
        return ""
    offer = notification.offer
    if offer.status != WaitlistOfferStatus.OPEN:
        return f"the offer is now {offer.get_status_display().lower()}"
    if offer.expires_at <= now:
        return "the offer has expired"
    return ""


def render(notification: Notification, clinic, *, now: datetime) -> Rendered:
    """Subject, recipient, plain text and HTML of one waitlist e-mail."""
    context = email_context(clinic)
    if notification.kind == NotificationKind.WAITLIST_JOINED:
        entry = notification.waitlist_entry
        context.update(patient_name=entry.patient_name, entry=waitlist_entry_summary(entry))
        subject = _("You are on the waitlist: %(treatment)s") % {"treatment": entry.treatment.name}
        return rendered_email(notification.kind, subject=subject, to=entry.email, context=context)
    offer = notification.offer
    entry = offer.entry
    offered = {
        "treatment": entry.treatment.name,
        "minutes": entry.treatment.duration_minutes,
        "practitioner": offer.practitioner.name,
        "date": long_day(offer.starts_at),
        "starts": clinic_time(offer.starts_at),
        "ends": clinic_time(offer.ends_at),
        "expires": clinic_time(offer.expires_at),
        "expires_date": long_day(offer.expires_at),
        "url": offer_url(offer),
        "is_request": entry.treatment.requires_confirmation,
        "asks_questions": asks_questions(entry.treatment),
    }
    context.update(
        patient_name=entry.patient_name, offer=offered, entry=waitlist_entry_summary(entry)
    )
    subject = _("A time has come free: %(treatment)s, %(date)s at %(time)s") % {
        "treatment": entry.treatment.name,
        "date": offered["date"],
        "time": offered["starts"],
    }
    return rendered_email(notification.kind, subject=subject, to=entry.email, context=context)
