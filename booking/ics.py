"""The calendar file (.ics) for an appointment, made with the icalendar library.

One VEVENT per appointment (every session of a course in one file, each its
own event), with a UID that never changes (the reference), so a calendar that
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


def course_sessions(appointment: AppointmentRequest) -> list[AppointmentRequest]:
    """Every session of the appointment's course in order, or just the appointment.

    The appointment itself is the object given, as it is in memory (a preview
    of a change shows the change).
    """
    if appointment.course_id is None or appointment.pk is None:
        return [appointment]
    sessions = (
        AppointmentRequest.objects.filter(course_id=appointment.course_id)
        .select_related("treatment", "practitioner", "course")
        .order_by("course_session")
    )
    return [appointment if session.pk == appointment.pk else session for session in sessions]


def appointment_ics(appointment: AppointmentRequest) -> bytes:
    """A calendar (METHOD:PUBLISH) for the appointment as it is now.

    One event, or one per session when the appointment is part of a course,
    so that importing any e-mail of the course keeps every session up to date.
    """
    clinic = get_clinic()

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    for session in course_sessions(appointment):
        calendar.add_component(_event(session, clinic))
    return calendar.to_ical()


def session_label(appointment: AppointmentRequest) -> str:
    """ "session 2 of 4" for a session of a course, else ""."""
    if appointment.course_id is None or appointment.course_session is None:
        return ""
    return f"session {appointment.course_session} of {appointment.course.sessions}"


def _event(appointment: AppointmentRequest, clinic) -> icalendar.Event:
    link = manage_url(appointment)
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
    session = session_label(appointment)
    if session:
        summary += f", {session}"
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
    if session:
        description.append(f"Course: {session}")
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
    return event


def ics_filename(appointment: AppointmentRequest) -> str:
    """The file's name: the appointment's reference, or the course's for a course."""
    if appointment.course_id is not None:
        return f"course-{appointment.course.reference}.ics"
    return f"appointment-{appointment.reference}.ics"
