"""The calendar file (.ics) for an appointment, made with the icalendar library.

One VEVENT with a UID that never changes (the reference), so a calendar that
imported the confirmation updates the same event when the time moves or the
appointment is cancelled; SEQUENCE grows with every change so it knows which
version is newer. Times are in UTC, which every calendar converts to its
owner's zone. No health details: the file may be forwarded or synced anywhere.

The clinic is the ORGANIZER (its public e-mail), so a calendar shows who to
contact; an active appointment carries an alarm, and a request that staff
have not confirmed yet says "(requested)" in its title.
"""

from datetime import UTC, timedelta

import icalendar

from booking.formats import clinic_location
from booking.links import manage_url, site_domain
from booking.models import AppointmentRequest, AppointmentStatus, NotificationKind
from clinic.identity import get_clinic
from clinic.validators import single_line

PRODID = "-//Clinic booking//EN"

# The calendar's own reminder, on top of the reminder e-mail the day before.
ALARM_BEFORE = timedelta(hours=2)

_EVENT_STATUS = {
    AppointmentStatus.REQUESTED: "TENTATIVE",
    AppointmentStatus.CONFIRMED: "CONFIRMED",
    AppointmentStatus.COMPLETED: "CONFIRMED",
    AppointmentStatus.NO_SHOW: "CONFIRMED",
    AppointmentStatus.DECLINED: "CANCELLED",
    AppointmentStatus.CANCELLED_BY_PATIENT: "CANCELLED",
    AppointmentStatus.CANCELLED_BY_CLINIC: "CANCELLED",
}


def appointment_uid(appointment: AppointmentRequest) -> str:
    return f"{appointment.reference}@{site_domain()}"


def appointment_sequence(appointment: AppointmentRequest) -> int:
    """Grows with every status change and every move; never goes down."""
    if appointment.pk is None:
        return 0
    changes = appointment.status_changes.count()
    moves = appointment.notifications.filter(kind=NotificationKind.RESCHEDULED).count()
    return changes + moves


def appointment_ics(appointment: AppointmentRequest) -> bytes:
    """A one-event calendar (METHOD:PUBLISH) for the appointment as it is now."""
    clinic = get_clinic()
    link = manage_url(appointment)

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")

    event = icalendar.Event()
    event.add("uid", appointment_uid(appointment))
    # The moment this version of the event came to be: stable for one state,
    # so downloading the file twice gives the same bytes.
    stamp = (appointment.updated_at or appointment.created_at).astimezone(UTC)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    if appointment.created_at:
        event.add("created", appointment.created_at.astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    summary = f"{appointment.treatment.name} at {clinic.name}"
    if appointment.status == AppointmentStatus.REQUESTED:
        summary += " (requested)"
    event.add("summary", single_line(summary))
    if clinic.email:
        organizer = icalendar.vCalAddress(f"mailto:{clinic.email}")
        organizer.params["cn"] = icalendar.vText(single_line(clinic.name))
        event.add("organizer", organizer)
    event.add("location", clinic_location(clinic))
    description = [
        f"Practitioner: {appointment.practitioner.name}",
        f"Reference: {appointment.reference}",
    ]
    if link:
        description.append(f"View, move or cancel: {link}")
        event.add("url", link)
    if clinic.phone:
        description.append(f"Questions: call {clinic.phone}")
    event.add("description", "\n".join(description))
    event.add("status", _EVENT_STATUS.get(appointment.status, "TENTATIVE"))
    event.add("sequence", appointment_sequence(appointment))
    event.add("transp", "OPAQUE")
    if appointment.is_active:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", single_line(summary))
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()
