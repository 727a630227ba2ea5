"""Tests written for survivors of mutating booking/services/status.py (docs/testing.md):
the undo's window and order, a correction's reason and a no-show's arrival, the time
picker told when an undo or correction gives time back or takes it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.caching import practitioner_generation_key
from booking.errors import InvalidTransitionError
from booking.models import AppointmentStatus, StatusChangeKind
from booking.services import (
    appointment_change_status,
    appointment_correct_status,
    appointment_mark_arrived,
    status_change_undo,
)
from clinic.page_cache import generations
from tests.booking.staff_world import build_staff_world

S = AppointmentStatus


@pytest.fixture
def world(clinic):
    return build_staff_world(timezone.localdate() + timedelta(days=3))


def started(appointment, *, ago=timedelta(hours=2)):
    appointment.starts_at = timezone.now() - ago
    appointment.ends_at = appointment.starts_at + timedelta(minutes=45)
    appointment.occupied_until = appointment.ends_at
    appointment.save()
    return appointment


def picker_generation(practitioner) -> int:
    return generations((practitioner_generation_key(practitioner.slug),))[0]


def test_an_undo_exactly_at_the_end_of_its_window_still_works(world, settings):
    settings.BOOKING_UNDO_MINUTES = 10
    appointment = started(world.appointment(world.maya, 10, status=S.CONFIRMED))
    now = timezone.now()
    appointment_change_status(
        appointment_id=appointment.pk, to_status=S.COMPLETED, now=now, by=world.desk
    )
    change = appointment.status_changes.latest("pk")

    status_change_undo(change_id=change.pk, now=now + timedelta(minutes=10), by=world.desk)

    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED


def test_an_older_change_cannot_be_undone_once_a_newer_one_was_made(world):
    appointment = started(
        world.appointment(world.maya, 10, status=S.CONFIRMED), ago=timedelta(minutes=5)
    )
    now = timezone.now()
    appointment_mark_arrived(appointment_id=appointment.pk, now=now, by=world.desk)
    arrival = appointment.status_changes.latest("pk")
    appointment_change_status(
        appointment_id=appointment.pk, to_status=S.COMPLETED, now=now, by=world.desk
    )

    with pytest.raises(InvalidTransitionError, match="changed again since"):
        status_change_undo(change_id=arrival.pk, now=now, by=world.desk)

    appointment.refresh_from_db()
    assert appointment.status == S.COMPLETED
    assert appointment.arrived_at is not None


def test_the_service_refuses_a_correction_without_a_reason_and_takes_one_with(world):
    appointment = started(world.appointment(world.maya, 10, status=S.NO_SHOW))

    with pytest.raises(InvalidTransitionError, match="give a reason"):
        appointment_correct_status(
            appointment_id=appointment.pk,
            to_status=S.COMPLETED,
            reason="  ",
            now=timezone.now(),
            by=world.desk,
        )
    appointment.refresh_from_db()
    assert appointment.status == S.NO_SHOW

    appointment_correct_status(
        appointment_id=appointment.pk,
        to_status=S.COMPLETED,
        reason="She came after all.",
        now=timezone.now(),
        by=world.desk,
    )
    appointment.refresh_from_db()
    assert appointment.status == S.COMPLETED


def test_correcting_an_arrived_patient_to_a_no_show_clears_the_arrival_and_only_then(world):
    appointment = started(
        world.appointment(world.maya, 10, status=S.CONFIRMED), ago=timedelta(minutes=5)
    )
    appointment_mark_arrived(appointment_id=appointment.pk, now=timezone.now(), by=world.desk)

    appointment_correct_status(
        appointment_id=appointment.pk,
        to_status=S.COMPLETED,
        reason="Seen in the other room.",
        now=timezone.now(),
        by=world.desk,
    )
    appointment.refresh_from_db()
    assert appointment.arrived_at is not None  # completed keeps the arrival

    appointment_correct_status(
        appointment_id=appointment.pk,
        to_status=S.NO_SHOW,
        reason="The arrival was the wrong patient.",
        now=timezone.now(),
        by=world.desk,
    )
    appointment.refresh_from_db()
    assert appointment.status == S.NO_SHOW
    assert appointment.arrived_at is None
    assert appointment.status_changes.latest("pk").kind == StatusChangeKind.CORRECTION


def test_an_undo_that_takes_time_again_tells_the_time_picker_and_an_arrivals_does_not(
    world, django_capture_on_commit_callbacks
):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED, email="ann@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        appointment_change_status(
            appointment_id=appointment.pk,
            to_status=S.CANCELLED_BY_CLINIC,
            now=timezone.now(),
            by=world.desk,
            note="Maya is ill.",
        )
    cancelled = appointment.status_changes.latest("pk")
    before = picker_generation(world.maya)

    with django_capture_on_commit_callbacks(execute=True):
        status_change_undo(change_id=cancelled.pk, now=timezone.now(), by=world.desk)

    assert picker_generation(world.maya) > before  # the time is taken again

    here = started(world.appointment(world.tom, 10, status=S.CONFIRMED), ago=timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        appointment_mark_arrived(appointment_id=here.pk, now=timezone.now(), by=world.desk)
    arrival = here.status_changes.latest("pk")
    quiet = picker_generation(world.tom)
    with django_capture_on_commit_callbacks(execute=True):
        status_change_undo(change_id=arrival.pk, now=timezone.now(), by=world.desk)

    assert picker_generation(world.tom) == quiet  # an arrival holds no more or less time
