"""Rules of booking/services/ that mutation testing found untested.

Each test here failed with a mutant of `make mutate` applied (docs/testing.md,
"Mutation testing") and states the rule that mutant broke.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connections

from booking import signals
from booking.errors import BookingError
from booking.locks import Lock
from booking.models import (
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
    appointments_anonymise,
    patient_anonymise,
    slot_add_manual,
    slots_generate,
)
from tests.booking.booking_world import LONDON, at, make_world, patient
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
