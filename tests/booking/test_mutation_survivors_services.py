"""Rules of booking/services/ that mutation testing found untested.

Each test here failed with a mutant of `make mutate` applied (docs/testing.md,
"Mutation testing") and states the rule that mutant broke.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, OperationalError, connections
from psycopg.errors import DeadlockDetected

from booking import signals
from booking.errors import BookingError
from booking.locks import Lock
from booking.models import (
    AppointmentRequest,
    Notification,
    NotificationKind,
    Patient,
    TimeSlot,
    WaitlistEntry,
    WaitlistEntryStatus,
    WeeklyAvailability,
)
from booking.notifications import queue_notification
from booking.services import (
    appointment_book,
    appointment_move,
    appointment_reschedule,
    appointments_anonymise,
    patient_anonymise,
    slot_add_manual,
    slots_generate,
)
from clinic.identity import forget_clinic
from clinic.models import ClinicProfile
from tests.booking.booking_world import LONDON, at, make_world, patient
from tests.booking.staff_world import ensure_roles, staff_user
from tests.booking.waitlist_world import join

MONDAY = date(2027, 3, 1)
NOW = datetime(2027, 2, 27, 12, tzinfo=UTC)


@pytest.fixture
def world(clinic):
    return make_world()


def _mondays(practitioner, starts_at: int, ends_at: int) -> WeeklyAvailability:
    return WeeklyAvailability.objects.create(
        practitioner=practitioner, weekday=0, starts_at=time(starts_at), ends_at=time(ends_at)
    )


def _slots(practitioner) -> list[tuple[datetime, datetime]]:
    return [
        (s.starts_at.astimezone(LONDON), s.ends_at.astimezone(LONDON))
        for s in TimeSlot.objects.filter(practitioner=practitioner).order_by("starts_at")
    ]


# --- slot generation (booking/services/slots.py) --------------------------------------


@pytest.mark.django_db
def test_a_booking_right_after_a_slot_does_not_stop_that_slot_changing(world):
    hours = _mondays(world.maya, 9, 13)
    slots_generate(start=MONDAY, days=1, now=NOW)
    slot_add_manual(practitioner=world.maya, starts_at=at(MONDAY, 13), ends_at=at(MONDAY, 15))
    appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(MONDAY, 13),  # in the extra slot, starting as 09:00-13:00 ends
        patient=patient(),
        now=NOW,
    )
    hours.ends_at = time(12)
    hours.save()

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert _slots(world.maya) == [(at(MONDAY, 9), at(MONDAY, 12)), (at(MONDAY, 13), at(MONDAY, 15))]


@pytest.mark.django_db
def test_hours_that_are_over_when_slots_are_made_give_no_slot(world):
    _mondays(world.maya, 9, 13)

    created = slots_generate(start=MONDAY, days=1, now=at(MONDAY, 13))

    assert created == 0
    assert _slots(world.maya) == []


@pytest.mark.django_db(transaction=True)
def test_slot_generation_shows_its_changes_all_at_once_and_keeps_others_waiting(clinic):
    # Seen from another connection while the run is writing (the waitlist's
    # signal is sent once the new slots are in): none of them yet, and the
    # slot-generation lock taken, so a second run (the daily command and an
    # admin click at once) waits instead of cutting the same hours again.
    world = make_world()
    _mondays(world.maya, 9, 13)
    other = connections.create_connection("default")
    seen = {}

    def look(**_kwargs):
        with other.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {TimeSlot._meta.db_table}")  # noqa: S608
            seen["slots"] = cursor.fetchone()[0]
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [int(Lock.SLOT_GENERATION)])
            seen["lock free"] = cursor.fetchone()[0]

    signals.time_freed.connect(look, dispatch_uid="test-slot-generation-look")
    try:
        slots_generate(start=MONDAY, days=1, now=NOW)
    finally:
        signals.time_freed.disconnect(dispatch_uid="test-slot-generation-look")
        other.close()

    assert seen == {"slots": 0, "lock free": False}
    assert _slots(world.maya) == [(at(MONDAY, 9), at(MONDAY, 13))]


# --- erasing personal details (booking/services/retention.py) ---------------------------

SAM = "sam.patel@example.com"  # booking_world's patient()


def _book(world, hour: int, now: datetime):
    return appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, hour),
        patient=patient(),
        now=now,
    )


@pytest.mark.django_db
def test_the_retention_job_erases_a_closed_waitlist_place_and_its_mail_errors(world):
    entry = join(world, "Ann One", now=at(world.day, 8) - timedelta(days=2))
    WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntryStatus.ENDED)
    Notification.objects.filter(waitlist_entry=entry).update(
        last_error="550 ann@example.com: no such mailbox"
    )
    later = at(world.day + timedelta(days=1), 12)

    appointments_anonymise(ended_before=later, now=later)

    entry.refresh_from_db()
    assert (entry.patient_name, entry.email, entry.phone) == (
        "Anonymised",
        "anonymised@invalid.example",
        "",
    )
    assert entry.anonymised_at == later
    errors = Notification.objects.filter(waitlist_entry=entry).values_list("last_error", flat=True)
    assert list(errors) == [""]


@pytest.mark.django_db
def test_anonymising_a_patient_ends_their_waiting_place_and_deletes_their_booking_links_mail(
    world,
):
    now = at(world.day, 8) - timedelta(days=2)
    entry = join(world, "Sam Patel", now=now, email=SAM)
    queue_notification(kind=NotificationKind.BOOKING_LINKS, email=SAM)

    patient_anonymise(patient_id=entry.patient_id, now=now)

    entry.refresh_from_db()
    assert (entry.status, entry.patient_name) == (WaitlistEntryStatus.LEFT, "Anonymised")
    assert not Notification.objects.filter(kind=NotificationKind.BOOKING_LINKS, email=SAM).exists()


@pytest.mark.django_db
def test_a_patient_still_on_the_waitlist_keeps_their_record_when_old_appointments_go(world):
    world.slot(world.maya, 9, 13)
    booked = _book(world, 9, now=at(world.day, 8) - timedelta(days=2))
    join(
        world,
        "Sam Patel",
        now=at(world.day, 8) - timedelta(days=2),
        email=SAM,
        last_day=world.day + timedelta(days=20),
    )
    later = at(world.day + timedelta(days=1), 12)

    appointments_anonymise(ended_before=later, now=later)

    record = Patient.objects.get(pk=booked.patient_id)
    assert (record.name, record.email, record.anonymised_at) == ("Sam Patel", SAM, None)


@pytest.mark.django_db
def test_a_patient_with_appointments_ahead_is_told_how_many(world):
    world.slot(world.maya, 9, 13)
    now = at(world.day, 8) - timedelta(days=2)
    first = _book(world, 9, now)

    with pytest.raises(BookingError, match=r"^Sam Patel has 1 appointment still ahead\. "):
        patient_anonymise(patient_id=first.patient_id, now=now)
    _book(world, 11, now)
    with pytest.raises(BookingError, match=r"^Sam Patel has 2 appointments still ahead\. "):
        patient_anonymise(patient_id=first.patient_id, now=now)


@pytest.mark.django_db(transaction=True)
def test_anonymising_a_patient_works_with_no_transaction_around_it(clinic):
    # It locks the patient's rows, which PostgreSQL allows only inside a transaction.
    world = make_world()
    world.slot(world.maya, 9, 13)
    booked = _book(world, 9, now=at(world.day, 8) - timedelta(days=2))

    record = patient_anonymise(patient_id=booked.patient_id, now=at(world.day, 23))

    assert record.name == "Anonymised"


# --- booking and moving (booking/services/appointments.py) ------------------------------


def _booked(world, hour: int, treatment=None):
    world.slot(world.maya, hour, hour + 1)
    return appointment_book(
        treatment=treatment or world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, hour),
        patient=patient(),
        now=at(world.day, 8) - timedelta(days=10),
    )


@pytest.mark.django_db
def test_a_reference_already_taken_is_drawn_again_up_to_five_times(world, monkeypatch):
    taken = _booked(world, 9).reference
    draws = iter([taken] * 4 + ["ZZZZ-0001"] + [taken] * 5)
    monkeypatch.setattr("booking.services.appointments.reference_new", lambda: next(draws))

    assert _booked(world, 11).reference == "ZZZZ-0001"  # four taken, the fifth free
    with pytest.raises(IntegrityError):  # five taken: the database's refusal stands
        _booked(world, 13)


def _aborted(deadlock: bool) -> OperationalError:
    error = OperationalError("deadlock detected" if deadlock else "server closed the connection")
    if deadlock:
        error.__cause__ = DeadlockDetected("deadlock detected")
    return error


@pytest.mark.django_db
def test_an_insert_aborted_by_a_deadlock_is_tried_again_up_to_five_times(world, monkeypatch):
    # PostgreSQL aborts one of two inserts that wait for each other; the retry
    # then meets the other's row. Here the database's answers are given in turn.
    create = AppointmentRequest.objects.create
    answers = [_aborted(deadlock=True)] * 4 + [None] + [_aborted(deadlock=True)] * 5
    attempts = []

    def create_or_abort(**values):
        attempts.append(values["reference"])
        error = answers.pop(0)
        if error is not None:
            raise error
        return create(**values)

    monkeypatch.setattr(AppointmentRequest.objects, "create", create_or_abort)

    booked = _booked(world, 9)  # four deadlocks, then in
    assert len(attempts) == 5
    assert AppointmentRequest.objects.get().pk == booked.pk
    with pytest.raises(OperationalError, match="deadlock"):  # five: given up
        _booked(world, 11)
    assert len(attempts) == 10


@pytest.mark.django_db
def test_an_insert_failing_for_another_reason_is_not_tried_again(world, monkeypatch):
    attempts = []

    def lost_connection(**values):
        attempts.append(values["reference"])
        raise _aborted(deadlock=False)

    monkeypatch.setattr(AppointmentRequest.objects, "create", lost_connection)

    with pytest.raises(OperationalError, match="server closed the connection"):
        _booked(world, 9)
    assert len(attempts) == 1


@pytest.mark.django_db
def test_a_request_moved_by_the_patient_must_leave_staff_time_to_confirm_it(world):
    requested = _booked(world, 9, treatment=world.dry_needling)  # a request
    confirmed = _booked(world, 11)  # booked at once
    world.slot(world.maya, 14, 16)
    ClinicProfile.objects.update(request_notice_hours=100)  # two weeks of opening hours
    forget_clinic()
    now = at(world.day, 8) - timedelta(days=3)

    with pytest.raises(
        BookingError,
        match=r"^That time is too soon for us to confirm a request before it starts\. ",
    ):
        appointment_reschedule(appointment_id=requested.pk, starts_at=at(world.day, 14), now=now)
    moved = appointment_reschedule(
        appointment_id=confirmed.pk, starts_at=at(world.day, 15), now=now
    )

    assert moved.starts_at == at(world.day, 15)


@pytest.mark.django_db
def test_moving_to_the_time_already_booked_is_refused(world):
    booked = _booked(world, 9)

    with pytest.raises(BookingError, match="That is the time already booked"):
        appointment_reschedule(
            appointment_id=booked.pk,
            starts_at=at(world.day, 9),
            now=at(world.day, 8) - timedelta(days=3),
        )


@pytest.mark.django_db
def test_staff_may_move_an_appointment_to_start_right_now(world):
    booked = _booked(world, 15)
    world.slot(world.maya, 10, 11)
    now = at(world.day, 10)  # "Choose a time from now on"

    moved = appointment_move(appointment_id=booked.pk, starts_at=now, now=now)

    assert moved.starts_at == now


@pytest.mark.django_db
def test_a_move_offers_the_old_time_and_only_the_patients_own_move_tells_the_front_desk(world):
    by_patient, by_staff = _booked(world, 9), _booked(world, 11)
    world.slot(world.maya, 14, 16)
    now = at(world.day, 8) - timedelta(days=3)
    freed = []
    ensure_roles()  # the staff groups, gone after a test that empties the tables

    def note(**kwargs):
        freed.append((kwargs["practitioner_id"], kwargs["starts_at"], kwargs["ends_at"]))

    signals.time_freed.connect(note, dispatch_uid="test-move-freed")
    try:
        appointment_reschedule(appointment_id=by_patient.pk, starts_at=at(world.day, 14), now=now)
        appointment_move(
            appointment_id=by_staff.pk,
            starts_at=at(world.day, 15),
            now=now,
            by=staff_user("desk", "Front desk"),
        )
    finally:
        signals.time_freed.disconnect(dispatch_uid="test-move-freed")

    # 09:00 and 11:00, each held 35 minutes with the follow-up's buffer.
    assert freed == [
        (world.maya.pk, at(world.day, 9), at(world.day, 9, 35)),
        (world.maya.pk, at(world.day, 11), at(world.day, 11, 35)),
    ]
    told = Notification.objects.filter(kind=NotificationKind.CLINIC_MOVED)
    assert list(told.values_list("appointment_id", flat=True)) == [by_patient.pk]
