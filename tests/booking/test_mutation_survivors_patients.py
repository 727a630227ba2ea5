"""Tests written for survivors of mutating booking/services/patients.py (docs/testing.md):
which record a new one is marked a possible match of; bookings of different people never
waiting on each other; what a merge fills in and keeps; a staff edit of a patient with
several waiting places; a repeated needle appointment keeping its safety answers; and the
services' transactions."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from booking.models import AppointmentStatus, Patient, WaitlistEntry, phone_key
from booking.services import (
    appointment_book,
    patient_for_details,
    patient_match_dismiss,
    patient_save,
    patients_merge,
)
from booking.services.courses_staff import course_repeat_appointment
from tests.booking.booking_world import at, make_world, patient
from tests.booking.waitlist_world import join


@pytest.fixture
def world(clinic):
    world = make_world()
    world.slot(world.maya, 9, 13)
    return world


@pytest.fixture
def now(world):
    return at(world.day, 8) - timedelta(days=2)


def record(name, *, email="", phone="", updated_days_ago=None, **fields) -> Patient:
    made = Patient.objects.create(
        name=name, email=email, phone=phone, phone_key=phone_key(phone), **fields
    )
    if updated_days_ago is not None:
        Patient.objects.filter(pk=made.pk).update(
            updated_at=timezone.now() - timedelta(days=updated_days_ago)
        )
        made.refresh_from_db()
    return made


# --- Which record a new one may be the same person as --------------------------------------


@pytest.mark.django_db
def test_a_booking_whose_phone_is_on_a_record_under_another_name_is_marked_a_match_of_it(world):
    ann = record("Ann Lee", email="ann@example.com", phone="07700 900555")

    made = patient_for_details(
        details=patient(name="Bob Roe", email="bob@example.com", phone="07700900555")
    )

    assert made.pk != ann.pk
    assert made.possible_match == ann


@pytest.mark.django_db
def test_a_phone_only_booking_of_someone_new_is_nobodys_possible_match(world):
    record("Ann Lee", email="ann@example.com", phone="07700 900555")

    made = patient_for_details(details=patient(name="Bob Roe", email="", phone="07700 900777"))

    assert made.possible_match is None


@pytest.mark.django_db
def test_among_records_sharing_the_email_the_most_recently_updated_is_the_possible_match(world):
    record("Ann Lee", email="family@example.com", updated_days_ago=30)
    ben = record("Ben Lee", email="family@example.com", updated_days_ago=2)
    record("Dan Lee", email="family@example.com", updated_days_ago=9)

    made = patient_for_details(details=patient(name="Cat Lee", email="family@example.com"))

    assert made.possible_match == ben


@pytest.mark.django_db(transaction=True)
def test_bookings_of_different_people_without_an_email_or_a_phone_never_wait_on_each_other(
    clinic,
):
    pairs = [
        (  # phone-in bookings without an e-mail address
            patient(name="Ann Lee", email="", phone="07700 900111"),
            patient(name="Bob Roe", email="", phone="07700 900222"),
        ),
        (  # bookings without a phone number
            patient(name="Ann Lee", email="ann@example.com", phone=""),
            patient(name="Bob Roe", email="bob@example.com", phone=""),
        ),
    ]
    for first, second in pairs:
        holding, release = threading.Event(), threading.Event()

        def book_first(details=first, holding=holding, release=release):
            try:
                with transaction.atomic():
                    patient_for_details(details=details)
                    holding.set()
                    release.wait(timeout=30)
            finally:
                connection.close()

        thread = threading.Thread(target=book_first)
        thread.start()
        try:
            assert holding.wait(timeout=30)
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '3s'")
            with transaction.atomic():
                made = patient_for_details(details=second)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
            release.set()
            thread.join(timeout=30)
        assert made.name == "Bob Roe"


# --- Merging ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_merge_fills_a_gap_from_the_most_recently_updated_record_first(world):
    kept = record("Ann Lee", email="ann@example.com")
    older = record("Ann Lee", phone="0161 496 0000", updated_days_ago=200)
    newer = record("Ann Lee", phone="07700 900999", updated_days_ago=3)

    merged = patients_merge(keep_id=kept.pk, merge_ids=[older.pk, newer.pk])

    assert merged.phone == "07700 900999"
    assert merged.other_phones == ["01614960000"]


@pytest.mark.django_db
def test_a_merge_fills_a_missing_date_of_birth_and_keeps_the_kept_records_own(world):
    kept = record("Ann Lee", email="ann@example.com")
    born = record("Ann Lee", phone="07700 900999", date_of_birth=date(1980, 2, 3))
    assert patients_merge(keep_id=kept.pk, merge_ids=[born.pk]).date_of_birth == date(1980, 2, 3)

    sure = record("Bob Roe", email="bob@example.com", date_of_birth=date(1975, 6, 7))
    typo = record("Bob Roe", phone="07700 900888", date_of_birth=date(1975, 7, 6))
    unknown = record("Bob Roe", phone="07700 900777")
    merged = patients_merge(keep_id=sure.pk, merge_ids=[typo.pk, unknown.pk])
    assert merged.date_of_birth == date(1975, 6, 7)
    merged.refresh_from_db()
    assert merged.date_of_birth == date(1975, 6, 7)


@pytest.mark.django_db
def test_a_merge_leaves_the_kept_records_possible_match_with_a_third_record_to_compare(world):
    third = record("Ann Leigh", email="ann.leigh@example.com")
    kept = record("Ann Lee", email="ann@example.com", possible_match=third)
    duplicate = record("Ann Lee", phone="07700 900999")

    patients_merge(keep_id=kept.pk, merge_ids=[duplicate.pk])

    kept.refresh_from_db()
    assert kept.possible_match == third


# --- A staff edit of a patient waiting for several treatments ---------------------------------


@pytest.mark.django_db
def test_a_new_email_already_waiting_for_one_treatment_still_reaches_the_other_places(world, now):
    # Ann waits for a follow-up and then a massage under her old address; she has also
    # joined for the follow-up under her new one (a record of its own).
    follow_up = join(world, "Ann Lee", now=now, email="old@example.com")
    massage = join(world, "Ann Lee", now=now, email="old@example.com", treatment=world.massage)
    new_place = join(world, "Ann Lee", now=now, email="new@example.com")
    ann = follow_up.patient
    assert massage.patient == ann and new_place.patient != ann

    ann.email = "new@example.com"
    patient_save(patient=ann, now=now)

    for place in (follow_up, massage, new_place):
        place.refresh_from_db()
    assert follow_up.email == "old@example.com"  # the new address already waits for it
    assert massage.email == "new@example.com"
    assert new_place.email == "new@example.com"


# --- A repeated needle appointment --------------------------------------------------------------


@pytest.mark.django_db
def test_repeating_a_needle_appointment_keeps_its_safety_answers_on_the_new_session(world, now):
    next_week = world.day + timedelta(days=7)
    world.slot(world.maya, 9, 13, day=next_week)
    first = appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(),
        now=now,
        privacy_notice_version="2026-11",
    )
    first.status = AppointmentStatus.CONFIRMED
    first.save(update_fields=["status"])

    course = course_repeat_appointment(
        appointment_id=first.pk, starts=[at(next_week, 10)], spacing_days=7, now=now
    )

    second = course.appointments.get(course_session=2)
    assert second.answers == first.answers != []


# --- Transactions -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_merging_and_dismissing_a_match_work_with_no_transaction_around_them(clinic):
    # Each locks the records' rows, which PostgreSQL allows only inside a transaction.
    kept = record("Ann Lee", email="ann@example.com")
    duplicate = record("Ann Lee", phone="07700 900999")
    stranger = record("Ann Lee", email="ann.lee@work.example", possible_match=kept)

    patients_merge(keep_id=kept.pk, merge_ids=[duplicate.pk])
    patient_match_dismiss(patient_id=stranger.pk)

    assert not Patient.objects.filter(pk=duplicate.pk).exists()
    stranger.refresh_from_db()
    assert stranger.possible_match is None


@pytest.mark.django_db(transaction=True)
def test_a_staff_edit_that_fails_half_way_leaves_the_record_and_its_appointments_as_they_were(
    clinic, monkeypatch
):
    world = make_world()
    world.slot(world.maya, 9, 13)
    now = at(world.day, 8) - timedelta(days=2)
    upcoming = appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(name="Ann Lee", email="ann@example.com"),
        now=now,
        privacy_notice_version="2026-11",
    )
    place = join(world, "Ann Lee", now=now, email="ann@example.com", treatment=world.massage)
    ann = upcoming.patient
    assert place.patient == ann

    def broken(self, *args, **kwargs):
        raise RuntimeError("The connection dropped while saving the waiting place.")

    monkeypatch.setattr(WaitlistEntry, "save", broken)
    ann.email = "ann.lee@new.example"
    with pytest.raises(RuntimeError):
        patient_save(patient=ann, now=now)

    ann.refresh_from_db()
    upcoming.refresh_from_db()
    assert ann.email == upcoming.email == "ann@example.com"
