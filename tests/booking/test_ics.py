from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.utils import timezone

from booking.ics import appointment_ics
from booking.links import manage_token
from booking.models import AppointmentRequest, AppointmentStatus, NotificationKind
from booking.notifications import queue_notification
from booking.services import appointment_change_status

LONDON = ZoneInfo("Europe/London")
# 09:30 in London in summer is 08:30 UTC: the file must carry the instant.
STARTS = datetime(2027, 7, 1, 9, 30, tzinfo=LONDON)


def _event(data: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


@pytest.fixture
def appointment(appointment_factory):
    return appointment_factory(starts_at=STARTS)


def test_calendar_parses_with_prodid_version_and_publish_method(appointment):
    calendar = icalendar.Calendar.from_ical(appointment_ics(appointment))

    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert calendar["METHOD"] == "PUBLISH"


def test_event_starts_and_ends_at_the_appointment_instants_in_utc(appointment):
    event = _event(appointment_ics(appointment))

    assert event.decoded("DTSTART") == datetime(2027, 7, 1, 8, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 7, 1, 9, 15, tzinfo=UTC)


def test_uid_is_the_reference_at_the_site_domain(appointment, settings):
    settings.SITE_URL = "https://willowlane.example"

    event = _event(appointment_ics(appointment))

    assert str(event["UID"]) == f"{appointment.reference}@willowlane.example"


def test_summary_and_location_name_the_treatment_and_the_clinic(appointment):
    event = _event(appointment_ics(appointment))

    assert str(event["SUMMARY"]) == "Dry needling at Willow Lane Physiotherapy (requested)"
    assert "14 Willow Lane" in str(event["LOCATION"])
    assert "EX1 4WL" in str(event["LOCATION"])


def test_description_has_reference_and_phone_but_no_health_details(appointment):
    description = str(_event(appointment_ics(appointment))["DESCRIPTION"])

    assert appointment.reference in description
    assert "01632 960 418" in description
    assert "neck" not in description
    assert "warfarin" not in description


def test_requested_appointment_is_tentative(appointment):
    assert str(_event(appointment_ics(appointment))["STATUS"]) == "TENTATIVE"


def test_confirmed_appointment_is_confirmed(appointment):
    appointment_change_status(
        appointment_id=appointment.pk, to_status=AppointmentStatus.CONFIRMED, now=timezone.now()
    )
    appointment.refresh_from_db()

    assert str(_event(appointment_ics(appointment))["STATUS"]) == "CONFIRMED"


def test_cancelled_appointment_is_cancelled(appointment):
    appointment_change_status(
        appointment_id=appointment.pk,
        to_status=AppointmentStatus.CANCELLED_BY_PATIENT,
        now=timezone.now(),
    )
    appointment.refresh_from_db()

    assert str(_event(appointment_ics(appointment))["STATUS"]) == "CANCELLED"


def test_sequence_grows_when_the_appointment_moves(appointment):
    before = _event(appointment_ics(appointment)).decoded("SEQUENCE")

    appointment.starts_at = datetime(2027, 7, 2, 11, 0, tzinfo=LONDON)
    appointment.ends_at = datetime(2027, 7, 2, 11, 45, tzinfo=LONDON)
    appointment.occupied_until = datetime(2027, 7, 2, 12, 0, tzinfo=LONDON)
    appointment.save()
    queue_notification(appointment=appointment, kind=NotificationKind.RESCHEDULED)
    after = _event(appointment_ics(appointment))

    assert after.decoded("SEQUENCE") > before
    assert after.decoded("DTSTART") == datetime(2027, 7, 2, 10, 0, tzinfo=UTC)


def unfolded_lines(data: bytes) -> list[str]:
    """The file's content lines, with long lines joined again (RFC 5545 folding)."""
    return data.decode().replace("\r\n ", "").split("\r\n")


def test_same_state_gives_the_same_file_with_its_own_stamps_not_the_clocks(appointment, settings):
    # The record's timestamps are pinned a year away from the real clock: a
    # stamp read from the clock, or anything else that changes between
    # downloads, shows up as a difference from these exact lines.
    settings.SITE_URL = "https://willowlane.example"
    AppointmentRequest.objects.filter(pk=appointment.pk).update(
        created_at=datetime(2027, 6, 20, 9, 15, 30, tzinfo=UTC),
        updated_at=datetime(2027, 6, 21, 14, 0, 5, tzinfo=UTC),
    )
    appointment.refresh_from_db()
    reference = appointment.reference
    link = f"https://willowlane.example/book/manage/{manage_token(appointment)}/"

    first = appointment_ics(appointment)
    appointment.refresh_from_db()

    assert appointment_ics(appointment) == first
    assert unfolded_lines(first) == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Clinic booking//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        "SUMMARY:Dry needling at Willow Lane Physiotherapy (requested)",
        "DTSTART:20270701T083000Z",
        "DTEND:20270701T091500Z",
        "DTSTAMP:20270621T140005Z",
        f"UID:{reference}@willowlane.example",
        "SEQUENCE:0",
        "CREATED:20270620T091530Z",
        f"DESCRIPTION:Practitioner: Maya Okafor\\nReference: {reference}\\nView\\, move or"
        f" cancel: {link}\\nQuestions: call 01632 960 418",
        "LAST-MODIFIED:20270621T140005Z",
        "LOCATION:Willow Lane Physiotherapy\\, 14 Willow Lane\\, Exampleton EX1 4WL",
        'ORGANIZER;CN="Willow Lane Physiotherapy":mailto:hello@willowlane.example',
        "STATUS:TENTATIVE",
        "TRANSP:OPAQUE",
        f"URL:{link}",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "DESCRIPTION:Dry needling at Willow Lane Physiotherapy (requested)",
        "TRIGGER:-PT2H",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
