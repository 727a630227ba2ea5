"""Staff services: moving appointments, recording arrivals, which status changes are valid."""

import threading
from datetime import timedelta

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.emails import build_message
from booking.errors import BookingError, InvalidTransitionError, SlotTakenError
from booking.ics import appointment_ics
from booking.models import AppointmentStatus, Notification, NotificationKind, Practitioner
from booking.services import (
    appointment_book,
    appointment_change_status,
    appointment_mark_arrived,
    appointment_move,
    arrival_refusal,
    practitioner_calendar_link_new,
    practitioner_calendar_link_remove,
    status_change_refusal,
)
from booking.tokens import digest
from clinic.identity import get_clinic
from tests.booking.booking_world import at, make_world, patient
from tests.booking.intake_world import ALL_NO

S = AppointmentStatus


@pytest.fixture
def world(clinic):
    world = make_world()
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    return world


@pytest.fixture
def now(world):
    return at(world.day, 8) - timedelta(days=2)


@pytest.fixture
def desk(django_user_model):
    return django_user_model.objects.create(username="desk", is_staff=True)


def book(world, now, hour, minute=0, *, practitioner=None, **details):
    return appointment_book(
        treatment=world.follow_up,
        practitioner=practitioner or world.maya,
        starts_at=at(world.day, hour, minute),
        patient=patient(**details),
        now=now,
        privacy_notice_version="2026-11",
    )


def event(appointment) -> icalendar.Event:
    appointment.refresh_from_db()
    return icalendar.Calendar.from_ical(appointment_ics(appointment)).walk("VEVENT")[0]


# --- Moving -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_move_to_another_practitioner_updates_the_same_row_in_one_update(world, now, desk):
    appointment = book(world, now, 9, 30)

    with CaptureQueriesContext(connection) as queries:
        moved = appointment_move(
            appointment_id=appointment.pk,
            practitioner=world.tom,
            starts_at=at(world.day, 11),
            now=now,
            by=desk,
        )

    updates = [
        q["sql"] for q in queries if q["sql"].startswith('UPDATE "booking_appointmentrequest"')
    ]
    assert len(updates) == 1
    assert '"practitioner_id"' in updates[0] and '"starts_at"' in updates[0]
    assert moved.pk == appointment.pk
    assert (moved.practitioner, moved.starts_at, moved.ends_at) == (
        world.tom,
        at(world.day, 11),
        at(world.day, 11, 30),
    )


@pytest.mark.django_db
def test_staff_move_records_who_moved_it_and_where(world, now, desk):
    appointment = book(world, now, 9, 30)

    appointment_move(
        appointment_id=appointment.pk,
        practitioner=world.tom,
        starts_at=at(world.day, 11),
        now=now,
        by=desk,
    )

    change = appointment.status_changes.order_by("pk").last()
    assert change.changed_by == desk
    assert "09:30" in change.note and "11:00" in change.note
    assert "from Dr Maya Okafor to Tom Lindqvist" in change.note


@pytest.mark.django_db
def test_staff_move_emails_the_new_time_with_the_same_uid_and_a_higher_sequence(world, now, desk):
    appointment = book(world, now, 9, 30)
    before = event(appointment)

    appointment_move(
        appointment_id=appointment.pk,
        practitioner=world.tom,
        starts_at=at(world.day, 11),
        now=now,
        by=desk,
    )

    notification = Notification.objects.get(
        appointment=appointment, kind=NotificationKind.RESCHEDULED
    )
    appointment.refresh_from_db()
    message = build_message(notification=notification, appointment=appointment, clinic=get_clinic())
    [attachment] = [part for part in message.attachments if "calendar" in str(part)]
    moved = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(moved["UID"]) == str(before["UID"])
    assert moved.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert moved.decoded("DTSTART") == at(world.day, 11)
    assert "Tom Lindqvist" in str(moved["DESCRIPTION"])
    assert "11:00" in message.subject


@pytest.mark.django_db
def test_staff_move_onto_another_appointment_is_refused_and_changes_nothing(world, now, desk):
    appointment = book(world, now, 9, 30)
    book(world, now, 11, practitioner=world.tom, name="Other", email="other@example.com")

    with pytest.raises(SlotTakenError):
        appointment_move(
            appointment_id=appointment.pk,
            practitioner=world.tom,
            starts_at=at(world.day, 11, 15),
            now=now,
            by=desk,
        )

    appointment.refresh_from_db()
    assert (appointment.practitioner, appointment.starts_at) == (world.maya, at(world.day, 9, 30))
    assert not appointment.notifications.filter(kind=NotificationKind.RESCHEDULED).exists()


@pytest.mark.django_db
def test_staff_move_to_a_practitioner_who_does_not_offer_the_treatment_is_refused(world, now, desk):
    appointment = book(world, now, 9, 30)
    other = Practitioner.objects.create(name="Lee Massage", slug="lee")
    world.slot(other, 9, 13)

    with pytest.raises(BookingError, match="does not offer"):
        appointment_move(
            appointment_id=appointment.pk,
            practitioner=other,
            starts_at=at(world.day, 11),
            now=now,
            by=desk,
        )


@pytest.mark.django_db
def test_staff_move_of_a_cancelled_appointment_or_into_the_past_is_refused(world, now, desk):
    appointment = book(world, now, 9, 30)
    with pytest.raises(BookingError, match="in the past"):
        appointment_move(
            appointment_id=appointment.pk, starts_at=now - timedelta(hours=1), now=now, by=desk
        )
    appointment_change_status(
        appointment_id=appointment.pk,
        to_status=S.CANCELLED_BY_CLINIC,
        now=now,
        note="The practitioner is ill.",
    )
    with pytest.raises(BookingError, match="cannot be moved"):
        appointment_move(appointment_id=appointment.pk, starts_at=at(world.day, 11), now=now)


@pytest.mark.django_db
def test_staff_move_ignores_the_online_notice_period(world, desk):
    appointment = book(world, at(world.day, 8) - timedelta(days=2), 11)
    almost = at(world.day, 9, 50)

    moved = appointment_move(
        appointment_id=appointment.pk, starts_at=at(world.day, 10), now=almost, by=desk
    )

    assert moved.starts_at == at(world.day, 10)


@pytest.mark.django_db(transaction=True)
def test_two_staff_moving_two_appointments_onto_one_time_at_once_one_wins(clinic):
    world = make_world()
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    now = at(world.day, 8) - timedelta(days=2)
    first = book(world, now, 9)
    second = book(world, now, 9, practitioner=world.tom, email="b@example.com")
    barrier = threading.Barrier(2)
    outcomes = []

    def move(appointment):
        try:
            barrier.wait(timeout=10)
            appointment_move(
                appointment_id=appointment.pk,
                practitioner=world.maya,
                starts_at=at(world.day, 11),
                now=now,
            )
            outcomes.append("moved")
        except SlotTakenError:
            outcomes.append("taken")
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(a,)) for a in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["moved", "taken"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert sorted(
        [first.starts_at == at(world.day, 11), second.starts_at == at(world.day, 11)]
    ) == [
        False,
        True,
    ]


# --- Which status changes are valid, and when --------------------------------------------


@pytest.mark.django_db
def test_an_outcome_can_only_be_recorded_once_the_appointment_has_started(world, now):
    appointment = book(world, now, 9, 30)  # confirmed at once (no confirmation needed)
    started = at(world.day, 9, 31)

    assert "not started yet" in status_change_refusal(
        appointment=appointment, to_status=S.COMPLETED, now=now
    )
    assert status_change_refusal(appointment=appointment, to_status=S.COMPLETED, now=started) == ""
    assert status_change_refusal(appointment=appointment, to_status=S.NO_SHOW, now=started) == ""
    with pytest.raises(InvalidTransitionError, match="not started yet"):
        appointment_change_status(appointment_id=appointment.pk, to_status=S.NO_SHOW, now=now)


@pytest.mark.django_db
def test_a_request_whose_time_has_come_cannot_be_confirmed(world, now):
    request = appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(answers=dict(ALL_NO)),
        now=now,
        privacy_notice_version="2026-11",
    )
    assert request.status == S.REQUESTED

    with pytest.raises(InvalidTransitionError, match="already started"):
        appointment_change_status(
            appointment_id=request.pk, to_status=S.CONFIRMED, now=at(world.day, 10, 5)
        )


# --- Arrivals -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_marking_an_arrival_stores_the_time_and_who_saw_it(world, now, desk):
    appointment = book(world, now, 10)

    arrived = appointment_mark_arrived(
        appointment_id=appointment.pk, now=at(world.day, 9, 52), by=desk
    )

    assert arrived.arrived_at == at(world.day, 9, 52)
    change = arrived.status_changes.order_by("pk").last()
    assert (change.changed_by, change.note) == (desk, "Arrived at 09:52")
    assert arrived.status == S.CONFIRMED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("hour", "minute", "reason"),
    [(8, 30, "arrivals can be recorded from 09:00"), (10, 30, "is over")],
)
def test_an_arrival_outside_the_appointments_time_is_refused(world, now, hour, minute, reason):
    appointment = book(world, now, 10)

    refusal = arrival_refusal(appointment=appointment, now=at(world.day, hour, minute))

    assert reason in refusal


@pytest.mark.django_db
def test_an_arrival_is_recorded_once_and_then_rules_out_a_no_show(world, now):
    appointment = book(world, now, 10)
    appointment_mark_arrived(appointment_id=appointment.pk, now=at(world.day, 9, 55))

    with pytest.raises(InvalidTransitionError, match="arrived at 09:55 already"):
        appointment_mark_arrived(appointment_id=appointment.pk, now=at(world.day, 10))
    with pytest.raises(InvalidTransitionError, match="not a no-show"):
        appointment_change_status(
            appointment_id=appointment.pk, to_status=S.NO_SHOW, now=at(world.day, 10, 10)
        )


# --- The calendar link ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_calendar_link_stores_only_the_tokens_hash_and_replaces_the_old(world, now):
    first = practitioner_calendar_link_new(practitioner_id=world.maya.pk, now=now)
    second = practitioner_calendar_link_new(practitioner_id=world.maya.pk, now=now)

    world.maya.refresh_from_db()
    assert first != second
    assert world.maya.calendar_token_hash == digest(second)
    assert second not in world.maya.calendar_token_hash

    practitioner_calendar_link_remove(practitioner_id=world.maya.pk)
    world.maya.refresh_from_db()
    assert world.maya.calendar_token_hash == ""
