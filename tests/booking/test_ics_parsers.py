"""Calendar files read back by five independent parsers: what a patient's calendar app
would see. Python's icalendar (which writes them), vobject and ics, and JavaScript's
ical.js (Mozilla's, used by Thunderbird) and node-ical, each must find every session
of a course with its own UID at its own time, and a single booking's one event."""

import json
import shutil
import subprocess
from datetime import UTC, timedelta
from pathlib import Path

import icalendar
import ics
import pytest
import vobject
from django.utils import timezone

from booking.ics import appointment_ics
from booking.services import appointment_book, course_book
from tests.booking.booking_world import at, make_world, patient

ROOT = Path(__file__).resolve().parents[2]
NODE_SCRIPT = Path(__file__).with_name("ics_events.mjs")
TOOLS = ROOT / "tools" / "package.json"
WEEK = timedelta(days=7)


@pytest.fixture
def world(clinic):
    world = make_world()
    world.follow_up.course_sessions = 4
    world.follow_up.course_spacing_days = 7
    world.follow_up.save()
    for week in range(4):
        world.slot(world.maya, 9, 13, day=world.day + week * WEEK)
    return world


def iso(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def read_in_python(data: bytes) -> dict[str, list[tuple[str, str]]]:
    text = data.decode()
    by_icalendar = [
        (str(event["UID"]), iso(event.decoded("DTSTART")))
        for event in icalendar.Calendar.from_ical(data).walk("VEVENT")
    ]
    by_vobject = [
        (event.uid.value, iso(event.dtstart.value)) for event in vobject.readOne(text).vevent_list
    ]
    by_ics = sorted((event.uid, iso(event.begin.datetime)) for event in ics.Calendar(text).events)
    return {"icalendar": by_icalendar, "vobject": by_vobject, "ics": by_ics}


def read_in_javascript(data: bytes) -> dict[str, list[tuple[str, str]]]:
    node = shutil.which("node")
    assert node, "Node is needed to read calendar files as ical.js and node-ical do"
    out = subprocess.run(
        [node, str(NODE_SCRIPT), str(TOOLS)],
        input=data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    found = json.loads(out.stdout)
    return {
        name: [(event["uid"], event["start"][:19]) for event in events]
        for name, events in found.items()
    }


def every_reading(data: bytes) -> dict[str, list[tuple[str, str]]]:
    readings = {**read_in_python(data), **read_in_javascript(data)}
    assert len(readings) == 5
    return {name: sorted(events) for name, events in readings.items()}


def test_a_courses_calendar_file_gives_four_events_in_five_parsers(world):
    course = course_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts=[at(world.day + n * WEEK, 10) for n in range(4)],
        patient=patient(),
        now=timezone.now(),
    )
    sessions = list(course.appointments.order_by("starts_at"))

    readings = every_reading(appointment_ics(sessions[0]))

    expected_starts = sorted(iso(s.starts_at) for s in sessions)
    for name, events in readings.items():
        assert len(events) == 4, name
        assert len({uid for uid, _start in events}) == 4, name
        assert sorted(start for _uid, start in events) == expected_starts, name
    # Every parser agrees on which UID is at which time.
    assert len({tuple(events) for events in readings.values()}) == 1


def test_a_single_bookings_calendar_file_gives_one_event_in_five_parsers(world):
    appointment = appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 11),
        patient=patient(),
        now=timezone.now(),
    )

    readings = every_reading(appointment_ics(appointment))

    for name, events in readings.items():
        assert events == [(readings["icalendar"][0][0], iso(appointment.starts_at))], name
