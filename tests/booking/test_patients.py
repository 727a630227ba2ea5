"""Patient records: found by e-mail or phone when booking, merged, anonymised, migrated."""

import importlib
import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from booking.errors import BookingError
from booking.intake.demo import NEEDLE_SAFETY
from booking.intake.questions import booking_forms, kept_values
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    Notification,
    Patient,
    phone_key,
)
from booking.services import (
    ANONYMISED_EMAIL,
    appointment_book,
    appointments_anonymise,
    patient_anonymise,
    patient_save,
    patients_merge,
)
from tests.booking.booking_world import at, make_world, patient
from tests.booking.intake_world import SAFETY_KEYS, kept_for
from tests.booking.staff_world import build_staff_world

S = AppointmentStatus
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def answers(**yes) -> dict[str, bool]:
    """Every safety question answered: "no" unless named here."""
    return {key: yes.get(key, False) for key in SAFETY_KEYS}


@pytest.fixture
def world(clinic):
    world = make_world()
    world.slot(world.maya, 9, 17)
    world.slot(world.tom, 9, 17)
    return world


@pytest.fixture
def now(world):
    return at(world.day, 8) - timedelta(days=2)


def book(world, now, hour, *, treatment=None, practitioner=None, **details):
    treatment = treatment or world.follow_up
    given = details.pop("answers", {})
    if booking_forms(treatment) and not given:
        given = answers(bleeding=True)
    return appointment_book(
        treatment=treatment,
        practitioner=practitioner or world.maya,
        starts_at=at(world.day, hour),
        patient=patient(answers=given, **details),
        now=now,
        privacy_notice_version="2026-11",
    )


# --- Linking bookings to patients ---------------------------------------------------


@pytest.mark.django_db
def test_a_first_booking_makes_a_patient_with_the_bookings_details(world, now):
    appointment = book(world, now, 9, name="Ann Lee", email="Ann.Lee@Example.com")

    record = appointment.patient
    assert (record.name, record.email, record.phone) == (
        "Ann Lee",
        "ann.lee@example.com",
        "07700 900123",
    )
    assert record.phone_key == "07700900123"


@pytest.mark.django_db
def test_a_second_booking_with_the_same_email_in_another_case_finds_the_same_patient(world, now):
    first = book(world, now, 9, email="ann@example.com")
    second = book(world, now, 11, email="  ANN@example.COM ", practitioner=world.tom)

    assert second.patient == first.patient
    assert Patient.objects.count() == 1


@pytest.mark.django_db
def test_a_booking_without_email_finds_the_patient_by_phone_in_any_notation(world, now):
    first = book(world, now, 9, email="", phone="07700 900123")
    second = book(world, now, 11, email="", phone="+44 7700 900 123")

    assert second.patient == first.patient


@pytest.mark.django_db
def test_a_different_email_makes_a_different_patient_even_with_the_same_phone(world, now):
    first = book(world, now, 9, email="ann@example.com")
    second = book(world, now, 11, email="bob@example.com")

    assert first.patient != second.patient


@pytest.mark.django_db
def test_a_shared_family_email_prefers_the_record_with_the_same_name(world, now):
    parent = book(world, now, 9, name="Ann Lee", email="family@example.com").patient
    child = Patient.objects.create(name="Kim Lee", email="family@example.com")
    Patient.objects.filter(pk=parent.pk).update(updated_at=parent.updated_at + timedelta(days=1))

    appointment = book(world, now, 11, name="kim  lee", email="family@example.com")

    assert appointment.patient == child


@pytest.mark.django_db
def test_a_booking_under_another_name_gets_its_own_record_marked_as_a_possible_match(world, now):
    record = Patient.objects.create(name="Ann Lee", email="ann@example.com")

    appointment = book(world, now, 9, name="Annie", email="ann@example.com", phone="0161 496 0000")

    record.refresh_from_db()
    assert appointment.patient != record
    assert appointment.patient.possible_match == record
    assert (appointment.patient.name, appointment.patient.phone) == ("Annie", "0161 496 0000")
    # What the booking gave stays on its appointment and its own record.
    assert (record.name, record.phone, record.phone_key) == ("Ann Lee", "", "")


@pytest.mark.django_db
def test_a_returning_patient_with_the_same_name_and_email_joins_the_record_and_changes_nothing(
    world, now
):
    record = Patient.objects.create(name="Ann Lee", email="ann@example.com")

    appointment = book(world, now, 9, name="ann  lee", email="ANN@example.com", phone="0161 4960")

    record.refresh_from_db()
    assert appointment.patient == record
    assert (record.name, record.phone, record.possible_match) == ("Ann Lee", "", None)
    assert appointment.phone == "0161 4960"


@pytest.mark.django_db
def test_a_booking_with_only_a_known_phone_and_another_name_gets_its_own_record(world, now):
    record = Patient.objects.create(name="Ann Lee", phone="07700 900123", phone_key="07700900123")

    appointment = book(world, now, 9, name="Mallory", email="", phone="07700 900 123")

    assert appointment.patient != record
    assert appointment.patient.possible_match == record


@pytest.mark.django_db
def test_needle_screening_answers_stay_on_the_appointment_and_never_on_the_record(world, now):
    record = book(world, now, 9, name="Ann Lee", email="ann@example.com").patient
    given = answers(bleeding=True)

    appointment = book(
        world,
        now,
        11,
        treatment=world.dry_needling,
        name="Ann Lee",
        email="ann@example.com",
        answers=given,
    )
    stranger = book(
        world,
        now,
        13,
        treatment=world.dry_needling,
        name="Someone Else",
        email="ann@example.com",
        answers=answers(),
    )

    assert appointment.patient == record
    assert appointment.answers == kept_for(world.dry_needling, given)
    assert kept_values(appointment.answers) == given
    # Each answer is kept with the words the patient was asked.
    assert [item["question"] for item in appointment.answers] == [
        question["text"] for question in NEEDLE_SAFETY["questions"]
    ]
    assert stranger.patient != record
    assert not hasattr(record, "screening") and not hasattr(record, "answers")


@pytest.mark.django_db
def test_staff_can_book_for_a_chosen_patient_whatever_the_details_say(world, now):
    chosen = Patient.objects.create(name="Ann Lee", phone="07700 900123", phone_key="07700900123")

    appointment = appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 9),
        patient=patient(name="Ann Lee", email=""),
        now=now,
        source="staff",
        enforce_policy=False,
        patient_record=chosen,
    )

    assert appointment.patient == chosen
    assert Patient.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_booking_leaves_no_patient_behind(world, now):
    book(world, now, 9, email="first@example.com")

    with pytest.raises(BookingError):
        book(world, now, 9, email="second@example.com")

    assert not Patient.objects.filter(email="second@example.com").exists()


@pytest.mark.django_db(transaction=True)
def test_two_first_bookings_with_one_email_at_once_make_one_patient(clinic):
    world = make_world()
    world.slot(world.maya, 9, 17)
    now = at(world.day, 8) - timedelta(days=2)
    barrier = threading.Barrier(2)
    errors = []

    def book_at(hour):
        try:
            barrier.wait(timeout=10)
            book(world, now, hour, email="same@example.com")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=book_at, args=(hour,)) for hour in (9, 11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert AppointmentRequest.objects.count() == 2
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("07700 900123", "07700900123"),
        ("+44 7700 900123", "07700900123"),
        ("0044 7700 900123", "07700900123"),
        ("(07700) 900-123", "07700900123"),
        ("+1 202 555 0100", "12025550100"),
        ("", ""),
    ],
)
def test_phone_key_reads_one_number_the_same_in_every_notation(typed, key):
    assert phone_key(typed) == key


@pytest.mark.django_db
def test_the_database_refuses_a_patient_email_with_capitals(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(name="Ann", email="Ann@example.com")


# --- Staff edits ----------------------------------------------------------------------


@pytest.mark.django_db
def test_saving_a_patient_updates_the_details_of_their_upcoming_appointments(world, now):
    upcoming = book(world, now, 9, email="old@example.com")
    record = upcoming.patient

    record.email, record.phone = "New@Example.com", " 0161  496 0000 "
    patient_save(patient=record, now=now)

    upcoming.refresh_from_db()
    assert (record.email, record.phone_key) == ("new@example.com", "01614960000")
    assert (upcoming.email, upcoming.phone) == ("new@example.com", "0161 496 0000")


# --- Merging ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_merge_moves_every_appointment_to_the_kept_patient_and_deletes_the_others(world, now):
    kept = book(world, now, 9, name="Ann Lee", email="ann@example.com").patient
    other = book(world, now, 11, name="Ann Lee", email="", phone="0161 496 0000").patient
    third = book(world, now, 13, name="A. Lee", email="ann.lee@work.example", phone="").patient
    Patient.objects.filter(pk=kept.pk).update(phone="", phone_key="", notes="Prefers mornings")
    Patient.objects.filter(pk=third.pk).update(notes="Left knee")

    merged = patients_merge(keep_id=kept.pk, merge_ids=[other.pk, third.pk])

    assert merged.pk == kept.pk
    assert AppointmentRequest.objects.filter(patient=kept).count() == 3
    assert not Patient.objects.filter(pk__in=[other.pk, third.pk]).exists()
    assert merged.email == "ann@example.com"
    assert merged.phone == "0161 496 0000"
    assert merged.notes == "Prefers mornings\n\nLeft knee"


@pytest.mark.django_db
def test_merging_a_possible_match_into_its_record_points_other_matches_at_the_kept_one(world, now):
    record = book(world, now, 9, name="Ann Lee", email="ann@example.com").patient
    first = book(world, now, 11, name="Annie Lee", email="ann@example.com").patient
    second = Patient.objects.create(name="A. Lee", email="a@example.com", possible_match=first)

    merged = patients_merge(keep_id=record.pk, merge_ids=[first.pk])

    second.refresh_from_db()
    assert merged == record and merged.possible_match is None
    assert second.possible_match == record
    assert not Patient.objects.filter(pk=first.pk).exists()


@pytest.mark.django_db
def test_merge_needs_two_patients(world, now):
    kept = book(world, now, 9).patient
    with pytest.raises(BookingError, match="at least two"):
        patients_merge(keep_id=kept.pk, merge_ids=[kept.pk])


@pytest.mark.django_db
def test_merge_refuses_an_anonymised_patient(world, now):
    kept = book(world, now, 9).patient
    gone = Patient.objects.create(name="Anonymised", anonymised_at=now)
    with pytest.raises(BookingError, match="Anonymised"):
        patients_merge(keep_id=kept.pk, merge_ids=[gone.pk])
    assert Patient.objects.filter(pk=gone.pk).exists()


# --- Anonymising one patient ---------------------------------------------------------


@pytest.mark.django_db
def test_anonymising_a_patient_erases_their_record_and_every_appointment(world, now):
    first = book(world, now, 9, email="ann@example.com", name="Ann Lee", reason="Knee pain")
    second = book(
        world,
        now,
        11,
        treatment=world.dry_needling,
        email="ann@example.com",
        name="Ann Lee",
        phone="07700 900456",
        reason="Shoulder after a fall",
        answers=answers(bleeding=True),
    )
    someone_else = book(world, now, 13, email="bob@example.com", name="Bob Roe")
    record = first.patient
    desk = User.objects.create(username="desk", is_staff=True)
    Patient.objects.filter(pk=record.pk).update(
        notes="Knee",
        date_of_birth="1980-02-03",
        other_emails=["ann.lee@work.example"],
        other_phones=["07700900789"],
    )
    AppointmentRequest.objects.filter(pk=second.pk).update(decline_reason="Ann, call us first")
    AppointmentStatusChange.objects.create(
        appointment=first,
        from_status=S.CONFIRMED,
        to_status=S.CONFIRMED,
        changed_by=desk,
        changed_at=now,
        note="Ann asked for the ground floor",
    )
    Notification.objects.filter(appointment=first).update(last_error="550 ann@example.com unknown")
    LogEntry.objects.create(
        user=desk,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(record.pk),
        object_repr="Ann Lee",
        action_flag=CHANGE,
    )
    after_both = second.ends_at + timedelta(hours=1)
    personal = {"Ann", "ann@example.com", "ann.lee@work", "900123", "900456", "900789", "Knee"}
    personal |= {"Shoulder", "1980"}

    patient_anonymise(patient_id=record.pk, now=after_both)

    record.refresh_from_db()
    assert (record.name, record.email, record.phone, record.phone_key) == ("Anonymised", "", "", "")
    assert (record.notes, record.date_of_birth, record.possible_match) == ("", None, None)
    assert (record.other_emails, record.other_phones) == ([], [])
    assert record.anonymised_at == after_both
    for appointment in (first, second):
        appointment.refresh_from_db()
        assert appointment.patient_name == "Anonymised"
        assert appointment.email == ANONYMISED_EMAIL
        assert (appointment.phone, appointment.reason, appointment.decline_reason) == ("", "", "")
        assert appointment.answers == []
        assert appointment.manage_token_hash == f"anonymised-{appointment.pk}"
        assert appointment.anonymised_at == after_both
        assert appointment.practitioner == world.maya
    assert first.treatment == world.follow_up and second.treatment == world.dry_needling
    # Nothing that names Ann is left on any row of hers: history, e-mails, the admin's log.
    rows = [
        *AppointmentStatusChange.objects.filter(appointment__patient=record).values(),
        *Notification.objects.filter(appointment__patient=record).values(),
        *AppointmentRequest.objects.filter(patient=record).values(),
        *Patient.objects.filter(pk=record.pk).values(),
    ]
    assert len(rows) > 4
    for row in rows:
        text = repr(row)
        assert not [word for word in personal if word in text], text
    someone_else.refresh_from_db()
    assert someone_else.patient_name == "Bob Roe"
    assert not LogEntry.objects.filter(object_repr__contains="Ann").exists()


@pytest.mark.django_db
def test_anonymising_a_patient_with_an_appointment_ahead_is_refused(world, now):
    appointment = book(world, now, 9, name="Ann Lee")

    with pytest.raises(BookingError, match="still ahead"):
        patient_anonymise(patient_id=appointment.patient_id, now=now)

    appointment.refresh_from_db()
    assert appointment.patient_name == "Ann Lee"


@pytest.mark.django_db
def test_the_retention_job_anonymises_patients_left_with_only_anonymised_appointments(world, now):
    old = book(world, now, 9, email="old@example.com", name="Old Timer")
    current = book(world, now, 11, email="current@example.com", name="Still Here")
    later = book(world, now, 13, email="current@example.com", name="Still Here")
    after = old.ends_at + timedelta(minutes=1)

    appointments_anonymise(ended_before=after, now=after + timedelta(days=1))

    old.patient.refresh_from_db()
    current.patient.refresh_from_db()
    assert old.patient.name == "Anonymised"
    assert current.patient.name == "Still Here"
    assert later.patient_id == current.patient_id


# --- The data migration -------------------------------------------------------------------


def run_patients_migration():
    migration = importlib.import_module("booking.migrations.0006_patients_for_appointments")
    state = MigrationExecutor(connection).loader.project_state(
        ("booking", "0006_patients_for_appointments")
    )
    with connection.schema_editor() as editor:
        migration.link_patients(state.apps, editor)


def tables_as_in_0006(screening: dict[int, dict]):
    """Put back the columns later migrations dropped, inside the test's transaction (undone
    after it): the patient's screening (0011) and the appointment's (0016), which holds
    `screening` (appointment id to answers) as it did before 0016 moved them."""
    with connection.cursor() as cursor:
        # Rows inserted in this transaction leave deferred checks pending, and
        # PostgreSQL alters no table with pending checks: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE booking_patient ADD COLUMN screening jsonb NOT NULL DEFAULT '{}',"
            " ADD COLUMN screening_at timestamptz NULL"
        )
        cursor.execute(
            "ALTER TABLE booking_appointmentrequest"
            " ADD COLUMN screening jsonb NOT NULL DEFAULT '{}'"
        )
        for appointment_id, answers in screening.items():
            cursor.execute(
                "UPDATE booking_appointmentrequest SET screening = %s WHERE id = %s",
                [json.dumps(answers), appointment_id],
            )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.mark.django_db
def test_data_migration_gives_existing_appointments_one_patient_per_email_or_phone(clinic):
    world = build_staff_world(date(2027, 7, 1))
    ann_old = world.appointment(
        world.maya, 9, patient_name="Ann Old Name", email="Ann@Example.com", phone="07700 1"
    )
    ann_new = world.appointment(
        world.tom,
        9,
        patient_name="Ann Lee",
        email="ann@example.com ",
        answers={"bleeding": True},
    )
    phone_only = [
        world.appointment(world.maya, 11, email="", phone="+44 7700 900555", patient_name="Pat"),
        world.appointment(world.tom, 11, email="", phone="07700 900555", patient_name="Pat"),
    ]
    nobody = world.appointment(world.maya, 13, email="", phone="", patient_name="Walk In")
    anonymised = [
        world.appointment(practitioner, 15, patient_name="Anonymised", anonymised_at=NOW)
        for practitioner in (world.maya, world.tom)
    ]
    AppointmentRequest.objects.filter(pk=ann_new.pk).update(
        created_at=ann_old.created_at + timedelta(days=1)
    )
    # Before 0016, the appointment kept its answers as key to yes/no.
    tables_as_in_0006({ann_new.pk: kept_values(ann_new.answers)})

    run_patients_migration()
    run_patients_migration()  # a second run changes nothing

    rows = {a.pk: a for a in AppointmentRequest.objects.select_related("patient")}
    assert all(a.patient_id for a in rows.values())
    ann = rows[ann_old.pk].patient
    assert rows[ann_new.pk].patient == ann
    assert (ann.name, ann.email) == ("Ann Lee", "ann@example.com")
    with connection.cursor() as cursor:
        cursor.execute("SELECT screening FROM booking_patient WHERE id = %s", [ann.pk])
        assert json.loads(cursor.fetchone()[0]) == {"bleeding": True}
    assert rows[phone_only[0].pk].patient == rows[phone_only[1].pk].patient
    assert rows[phone_only[0].pk].patient.phone_key == "07700900555"
    assert rows[nobody.pk].patient.name == "Walk In"
    anonymised_patients = {rows[a.pk].patient for a in anonymised}
    assert len(anonymised_patients) == 2
    assert all(p.anonymised_at and p.name == "Anonymised" for p in anonymised_patients)
    assert Patient.objects.count() == 5
