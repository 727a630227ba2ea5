"""A practitioner's private calendar feed: their diary for the weeks ahead, to subscribe to.

The address carries a random token; the database keeps only its SHA-256, so
a copy of the database opens no feed. Staff make a new address (the old one
stops working) or switch the feed off in admin. The feed says who comes when
and for what, by first name and initial only: no contact or health details,
as calendars are synced to phones and shared. Times are in the clinic's zone,
each event keeps one UID for good, and a cancelled one is marked CANCELLED.
"""

from datetime import timedelta

import icalendar
from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

# The patient's .ics and the diary mark each status alike.
from booking.formats import clinic_location
from booking.ics import _EVENT_STATUS
from booking.links import admin_change_url, site_domain
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    Notification,
    NotificationKind,
    Practitioner,
)
from booking.tokens import digest
from clinic.identity import get_clinic

PRODID = "-//Clinic booking//Practitioner diary//EN"


def short_name(name: str) -> str:
    """ "Alice Own" -> "Alice O.": enough to recognise a patient, little to identify one."""
    parts = name.split()
    if len(parts) < 2:
        return parts[0] if parts else "Patient"
    return f"{parts[0]} {parts[-1][0]}."


def _count(model, **filters):
    rows = (
        model.objects.filter(appointment=OuterRef("pk"), **filters)
        .order_by()
        .values("appointment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def feed_appointments(practitioner: Practitioner, *, now):
    """The practitioner's appointments from today until the feed's horizon (one query)."""
    zone = timezone.get_current_timezone()
    start = timezone.localtime(now, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(weeks=settings.BOOKING_CALENDAR_FEED_WEEKS)
    return (
        AppointmentRequest.objects.filter(
            practitioner=practitioner, starts_at__gte=start, starts_at__lt=end
        )
        .select_related("treatment")
        .annotate(
            # The same count as the patient's .ics: every status change and move.
            changes=_count(AppointmentStatusChange)
            + _count(Notification, kind=NotificationKind.RESCHEDULED)
        )
        .order_by("starts_at")
    )


def practitioner_calendar(practitioner: Practitioner, *, now) -> bytes:
    clinic = get_clinic()
    zone = timezone.get_current_timezone()
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{clinic.name}: {practitioner.name}")
    calendar.add("x-wr-timezone", str(zone))
    calendar.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    location = clinic_location(clinic)
    for appointment in feed_appointments(practitioner, now=now):
        event = icalendar.Event()
        event.add("uid", f"diary-{appointment.reference}@{site_domain()}")
        stamp = appointment.updated_at
        event.add("dtstamp", stamp)
        event.add("last-modified", stamp)
        event.add("dtstart", timezone.localtime(appointment.starts_at, zone))
        event.add("dtend", timezone.localtime(appointment.ends_at, zone))
        summary = f"{short_name(appointment.patient_name)}: {appointment.treatment.name}"
        if appointment.status == AppointmentStatus.REQUESTED:
            summary += " (requested)"
        event.add("summary", summary)
        event.add("location", location)
        description = [f"Reference: {appointment.reference}"]
        link = admin_change_url(appointment)
        if link:
            description.append(f"In the clinic's admin: {link}")
        event.add("description", "\n".join(description))
        event.add("status", _EVENT_STATUS.get(appointment.status, "TENTATIVE"))
        event.add("sequence", appointment.changes)
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


@require_GET
def practitioner_calendar_feed(request, token: str):
    if not token or len(token) > 100 or "\x00" in token:
        raise Http404("No such calendar.")
    practitioner = Practitioner.objects.filter(
        calendar_token_hash=digest(token), is_active=True
    ).first()
    if practitioner is None:
        raise Http404("No such calendar.")
    response = HttpResponse(
        practitioner_calendar(practitioner, now=timezone.now()),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="diary.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
