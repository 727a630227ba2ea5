"""A practitioner's private calendar feed: their next weeks, no health details, revocable."""

from datetime import timedelta

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentStatus, Practitioner
from booking.services import appointment_change_status, practitioner_calendar_link_new
from tests.booking.staff_world import build_staff_world

S = AppointmentStatus


@pytest.fixture
def world(clinic):
    world = build_staff_world(timezone.localdate() + timedelta(days=3))
    world.ann = world.appointment(
        world.maya,
        9,
        status=S.CONFIRMED,
        patient_name="Ann Marie Lee",
        email="ann@example.com",
        phone="07700 900111",
        reason="Painful left knee",
        answers={"bleeding": True},
    )
    world.request = world.appointment(world.maya, 11, patient_name="Cher")
    world.toms = world.appointment(world.tom, 9, status=S.CONFIRMED, patient_name="Tom's Patient")
    world.token = practitioner_calendar_link_new(practitioner_id=world.maya.pk, now=timezone.now())
    return world


def feed_url(token):
    return reverse("booking:practitioner_calendar", kwargs={"token": token})


def events(response) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def test_feed_lists_only_the_practitioners_own_appointments_and_parses(client, world):
    response = client.get(feed_url(world.token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert set(events(response)) == {
        "Ann L.: Physiotherapy session",
        "Cher: Physiotherapy session (requested)",
    }
    assert b"Tom's Patient" not in response.content


def test_feed_holds_no_contact_or_health_details(client, world):
    body = client.get(feed_url(world.token)).content.decode()
    for secret in ("Marie", "Lee", "ann@example.com", "07700", "knee", "Bleeding", "bleeding"):
        assert secret not in body
    assert world.ann.reference in body


def test_feed_times_are_in_the_clinics_zone_with_its_definition(client, world):
    response = client.get(feed_url(world.token))
    calendar = icalendar.Calendar.from_ical(response.content)
    event = events(response)["Ann L.: Physiotherapy session"]

    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART") == world.ann.starts_at
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/London"


def test_feed_keeps_each_events_uid_and_marks_a_cancellation(client, world):
    before = events(client.get(feed_url(world.token)))["Ann L.: Physiotherapy session"]

    appointment_change_status(
        appointment_id=world.ann.pk,
        to_status=S.CANCELLED_BY_CLINIC,
        now=timezone.now(),
        note="The practitioner is ill.",
    )
    after = events(client.get(feed_url(world.token)))["Ann L.: Physiotherapy session"]

    assert str(after["UID"]) == str(before["UID"])
    assert str(before["STATUS"]) == "CONFIRMED"
    assert str(after["STATUS"]) == "CANCELLED"
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")


def test_feed_covers_the_next_eight_weeks_only(client, world):
    world.appointment(world.maya, 9, day=timezone.localdate() + timedelta(weeks=8, days=1))
    world.appointment(world.maya, 9, day=timezone.localdate() - timedelta(days=1))
    assert len(events(client.get(feed_url(world.token)))) == 2


def test_a_new_link_stops_the_old_one_and_switching_off_stops_both(client, world):
    new = practitioner_calendar_link_new(practitioner_id=world.maya.pk, now=timezone.now())

    assert client.get(feed_url(world.token)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200
    Practitioner.objects.filter(pk=world.maya.pk).update(calendar_token_hash="")
    assert client.get(feed_url(new)).status_code == 404


@pytest.mark.parametrize("token", ["", "nope", "x" * 5000, "abc\x00def"])
def test_a_wrong_token_is_not_found(client, world, token):
    url = feed_url("placeholder").replace("placeholder", token)
    assert client.get(url).status_code == 404


def test_the_database_holds_only_the_tokens_hash(world):
    world.maya.refresh_from_db()
    assert world.token not in world.maya.calendar_token_hash
    assert len(world.maya.calendar_token_hash) == 64


def test_feed_runs_a_constant_number_of_queries(client, world):
    client.get(feed_url(world.token))
    with CaptureQueriesContext(connection) as small:
        client.get(feed_url(world.token))
    for hour in range(12, 18):
        appointment = world.appointment(world.maya, hour, status=S.REQUESTED)
        appointment_change_status(
            appointment_id=appointment.pk, to_status=S.CONFIRMED, now=timezone.now()
        )
    with CaptureQueriesContext(connection) as large:
        client.get(feed_url(world.token))
    assert len(large) == len(small) <= 3


# --- Making and revoking the link in admin ---------------------------------------------


def calendar_page(practitioner):
    return reverse("admin:booking_practitioner_calendar", args=[practitioner.pk])


def test_practitioner_makes_their_own_link_and_sees_it_once(client, world):
    client.force_login(world.maya_user)

    response = client.post(calendar_page(world.maya), {"do": "new"})

    address = response.context["address"]
    assert address.startswith("http://testserver/calendar/")
    assert address in response.text
    assert client.get(address).status_code == 200
    assert client.get(feed_url(world.token)).status_code == 404
    assert address not in client.get(calendar_page(world.maya)).text


def test_switching_the_feed_off_in_admin_stops_it(client, world):
    client.force_login(world.desk)
    client.post(calendar_page(world.maya), {"do": "off"})
    assert client.get(feed_url(world.token)).status_code == 404


def test_practitioner_cannot_manage_another_practitioners_link(client, world):
    client.force_login(world.maya_user)
    assert client.post(calendar_page(world.tom), {"do": "new"}).status_code == 404
    world.tom.refresh_from_db()
    assert world.tom.calendar_token_hash == ""
