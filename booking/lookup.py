"""'Find my booking': e-mail an address the private links of its bookings, if it has any.

The page answers every address alike and does the same work for each: it
puts the request on the task queue, and the worker decides. So nobody learns
who is a patient, from the words or from the time the page takes; only the
owner of a known address gets an e-mail.

An address gets at most one links e-mail every BOOKING_LOOKUP_EMAIL_MINUTES,
unless a booking or a waitlist place was made with it since the last one:
the e-mail lists every booking as it stands, so a request in between is
answered by the one already on its way. Someone who types another person's
address can send them no more than that, and the owner asking a moment
later is never told to wait, let alone for an hour. Requests for an address
with no booking send nothing and count for nothing.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.availability import clinic_zone
from booking.emails import Rendered, rendered_email
from booking.formats import (
    clinic_time,
    email_context,
    long_day,
    patient_status_label,
    waitlist_entry_summary,
)
from booking.links import manage_url
from booking.locks import Lock, lock_transaction
from booking.models import (
    AppointmentRequest,
    Notification,
    NotificationKind,
    WaitlistEntry,
    email_key,
)
from booking.notifications import queue_notification


def lookup_spacing() -> timedelta:
    return timedelta(minutes=settings.BOOKING_LOOKUP_EMAIL_MINUTES)


@transaction.atomic
def booking_links_send(*, email: str, now: datetime) -> bool:
    """Queue the links e-mail when the address has an upcoming appointment or a waiting
    place, unless a links e-mail went to it in the last BOOKING_LOOKUP_EMAIL_MINUTES
    and nothing was booked with it since.

    The e-mail lists them as they are when it is sent. Returns whether one
    was queued: for tests and logs, never for the page.
    """
    email = email_key(email)
    lock_transaction(Lock.BOOKING_LINKS, email)
    today = now.astimezone(clinic_zone()).date()
    known = (
        AppointmentRequest.objects.upcoming_for_email(email, now=now).exists()
        or WaitlistEntry.objects.waiting_for_email(email, today=today).exists()
    )
    if not known:
        return False
    last = (
        Notification.objects.filter(
            kind=NotificationKind.BOOKING_LINKS,
            email=email,
            created_at__gt=now - lookup_spacing(),
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is not None and not _added_since(email, last):
        return False
    queue_notification(kind=NotificationKind.BOOKING_LINKS, email=email)
    return True


def _added_since(email: str, moment: datetime) -> bool:
    """A booking or a waitlist place made with this address after `moment`."""
    return (
        AppointmentRequest.objects.filter(email=email, created_at__gt=moment).exists()
        or WaitlistEntry.objects.filter(email=email, created_at__gt=moment).exists()
    )


@task
def booking_links_request(*, email: str) -> dict:
    """One "find my booking" request, taken off the page (see the module's docstring)."""
    return {"queued": booking_links_send(email=email, now=timezone.now())}


# --- The links e-mail (registered with booking.emails in booking.apps) ---------


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
    return appointments, entries


def links_not_needed_because(notification: Notification, *, now: datetime) -> str:
    if not any(_links_of(notification.email, now=now)):
        return "the address has no upcoming appointment or waitlist entry any more"
    return ""


def links_render(notification: Notification, clinic, *, now: datetime) -> Rendered:
    """The e-mail of "find my booking": every upcoming appointment and waiting place."""
    appointments, entries = _links_of(notification.email, now=now)
    context = email_context(clinic)
    context.update(
        appointments=[
            {
                "reference": a.reference,
                "treatment": a.treatment.name,
                "practitioner": a.practitioner.name,
                "date": long_day(a.starts_at),
                "starts": clinic_time(a.starts_at),
                "status": patient_status_label(a.status, a.get_status_display()),
                "url": manage_url(a),
            }
            for a in appointments
        ],
        entries=[waitlist_entry_summary(entry) for entry in entries],
    )
    subject = _("Your links for %(clinic)s") % {"clinic": clinic.name}
    return rendered_email(
        NotificationKind.BOOKING_LINKS, subject=subject, to=notification.email, context=context
    )
