"""Tests written for survivors of mutating booking/services/status.py (docs/testing.md):
the undo's window and order, a correction's reason and a no-show's arrival, the time
picker told when an undo or correction gives time back or takes it; the instant an
appointment starts and the minute arrivals open; what an undo tells the patient; and
the services' locks and transactions."""

from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from booking.caching import practitioner_generation_key
from booking.errors import InvalidTransitionError
from booking.models import (
    AppointmentStatus,
    Notification,
    NotificationKind,
    StatusChangeKind,
    WaitlistOffer,
)
from booking.services import (
    appointment_change_status,
    appointment_correct_status,
    appointment_mark_arrived,
    status_change_undo,
)
from booking.services.courses import course_book
from clinic.page_cache import generations
from tests.booking.booking_world import make_world, patient
from tests.booking.staff_world import at, build_staff_world
from tests.booking.waitlist_world import IMMEDIATE_TASKS, book, join

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


# --- The instant an appointment starts, and the minute arrivals open -------------------------


def test_at_the_instant_an_appointment_starts_it_has_started(world):
    request = world.appointment(world.maya, 10)
    with pytest.raises(InvalidTransitionError, match="already started"):
        appointment_change_status(
            appointment_id=request.pk, to_status=S.CONFIRMED, now=request.starts_at, by=world.desk
        )

    absent = world.appointment(world.tom, 10, status=S.CONFIRMED)
    appointment_change_status(
        appointment_id=absent.pk, to_status=S.NO_SHOW, now=absent.starts_at, by=world.desk
    )
    seen = world.appointment(world.maya, 12, status=S.CONFIRMED)
    appointment_correct_status(
        appointment_id=seen.pk,
        to_status=S.COMPLETED,
        reason="Seen on time.",
        now=seen.starts_at,
        by=world.desk,
    )

    for appointment, status in ((request, S.REQUESTED), (absent, S.NO_SHOW), (seen, S.COMPLETED)):
        appointment.refresh_from_db()
        assert appointment.status == status


def test_arrivals_can_be_recorded_from_the_minute_the_message_names(world, settings):
    settings.BOOKING_ARRIVAL_EARLY_MINUTES = 30
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED)
    opens = appointment.starts_at - timedelta(minutes=30)

    with pytest.raises(InvalidTransitionError, match="recorded from 09:30"):
        appointment_mark_arrived(
            appointment_id=appointment.pk, now=opens - timedelta(minutes=1), by=world.desk
        )
    appointment_mark_arrived(appointment_id=appointment.pk, now=opens, by=world.desk)

    appointment.refresh_from_db()
    assert appointment.arrived_at == opens


def test_an_appointment_cancelled_at_the_instant_it_starts_frees_nothing_to_offer(
    clinic, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE_TASKS
    waiting = make_world()
    waiting.slot(waiting.tom, 9, 13)
    taken = book(waiting, at(waiting.day, 8) - timedelta(days=2), 10)
    join(waiting, "Ann One", now=at(waiting.day, 8) - timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        appointment_change_status(
            appointment_id=taken.pk,
            to_status=S.CANCELLED_BY_CLINIC,
            now=taken.starts_at,
            note="The practitioner is ill.",
        )

    assert WaitlistOffer.objects.count() == 0


# --- What an undo tells the patient -----------------------------------------------------------


def test_undoing_a_completed_mark_emails_nobody(world):
    appointment = started(world.appointment(world.maya, 10, status=S.CONFIRMED))
    appointment_change_status(
        appointment_id=appointment.pk, to_status=S.COMPLETED, now=timezone.now(), by=world.desk
    )
    change = appointment.status_changes.latest("pk")

    status_change_undo(change_id=change.pk, now=timezone.now(), by=world.desk)

    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED
    assert not Notification.objects.filter(appointment=appointment).exists()


def test_undoing_one_session_of_a_course_declined_together_tells_the_patient_then_and_once(world):
    world.physio.course_sessions = 2
    world.physio.course_spacing_days = 7
    world.physio.save()
    days = (world.day, world.day + timedelta(days=7))
    for day in days:
        world.slot(world.maya, 9, 13, day=day)
    course = course_book(
        treatment=world.physio,
        practitioner=world.maya,
        starts=[at(day, 10) for day in days],
        patient=patient(),
        now=timezone.now(),
        enforce_policy=False,
    )
    first, second = course.appointments.order_by("course_session")
    appointment_change_status(
        appointment_id=first.pk,
        to_status=S.DECLINED,
        now=timezone.now(),
        by=world.desk,
        note="Fully booked.",
    )
    Notification.objects.all().delete()

    undo_second = second.status_changes.get(to_status=S.DECLINED)
    status_change_undo(change_id=undo_second.pk, now=timezone.now(), by=world.desk)
    # The second session stands again: the patient hears so now, not at a later undo.
    assert list(Notification.objects.values_list("kind", flat=True)) == [
        NotificationKind.REQUEST_RECEIVED
    ]

    undo_first = first.status_changes.get(to_status=S.DECLINED)
    status_change_undo(change_id=undo_first.pk, now=timezone.now(), by=world.desk)
    assert Notification.objects.count() == 1
    assert set(course.appointments.values_list("status", flat=True)) == {S.REQUESTED}


# --- Locks and transactions: another connection, no transaction around the service -----------


def other_connection():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**{k: v for k, v in params.items() if k != "pool"})


@pytest.mark.django_db(transaction=True)
def test_changing_one_appointments_status_does_not_wait_for_another_appointment(world):
    busy = world.appointment(world.maya, 10)
    other_request = world.appointment(world.tom, 10)
    with other_connection() as other:
        # Another member of staff is changing Maya's appointment and holds its row.
        other.execute(
            "SELECT id FROM booking_appointmentrequest WHERE id = %s FOR UPDATE", [busy.pk]
        )
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        try:
            appointment_change_status(
                appointment_id=other_request.pk,
                to_status=S.CONFIRMED,
                now=timezone.now(),
                by=world.desk,
            )
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")

    other_request.refresh_from_db()
    assert other_request.status == S.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_arrivals_undos_and_corrections_work_with_no_transaction_around_them(world):
    # Each locks the appointment's row, which PostgreSQL allows only inside a transaction.
    appointment = started(
        world.appointment(world.maya, 10, status=S.CONFIRMED), ago=timedelta(minutes=5)
    )
    now = timezone.now()

    appointment_mark_arrived(appointment_id=appointment.pk, now=now, by=world.desk)
    arrival = appointment.status_changes.latest("pk")
    status_change_undo(change_id=arrival.pk, now=now, by=world.desk)
    appointment_correct_status(
        appointment_id=appointment.pk,
        to_status=S.NO_SHOW,
        reason="Never came.",
        now=now,
        by=world.desk,
    )

    appointment.refresh_from_db()
    assert appointment.status == S.NO_SHOW
    assert appointment.arrived_at is None
