"""'Find my booking': e-mail an address the private links of its bookings, if it has any.

The page that calls this answers every address alike, so nobody learns
who is a patient; only the owner of a known address gets an e-mail.
"""

from datetime import datetime

from django.db import transaction

from booking.availability import clinic_zone
from booking.models import AppointmentRequest, NotificationKind, WaitlistEntry, email_key
from booking.notifications import queue_notification


@transaction.atomic
def booking_links_send(*, email: str, now: datetime) -> bool:
    """Queue the links e-mail when the address has an upcoming appointment or a waiting place.

    The e-mail lists them as they are when it is sent. Returns whether one
    was queued: for tests and logs, never for the page.
    """
    email = email_key(email)
    today = now.astimezone(clinic_zone()).date()
    known = (
        AppointmentRequest.objects.upcoming_for_email(email, now=now).exists()
        or WaitlistEntry.objects.waiting_for_email(email, today=today).exists()
    )
    if known:
        queue_notification(kind=NotificationKind.BOOKING_LINKS, email=email)
    return known
