import hashlib
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction

from booking.errors import BookingError, CancellationWindowError, LinkExpiredError, SlotTakenError
from booking.intake.questions import kept_values
from booking.links import manage_token
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    Notification,
    NotificationKind,
)
from booking.services import (
    appointment_book,
    appointment_cancel_by_patient,
    appointment_change_status,
    appointment_reschedule,
    appointments_anonymise,
    booking_window,
    slot_add_manual,
    slot_set_blocked,
)
from tests.booking.booking_world import LONDON, at, make_world, patient
from tests.booking.intake_world import SAFETY_KEYS, SAFETY_WORDING, kept_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic):
    return make_world()


@pytest.fixture
def now(world):
    return at(world.day, 8) - timedelta(days=2)


@pytest.fixture
def morning(world):
    return world.slot(world.maya, 9, 13)


def book(world, now, hour, minute=0, treatment=None, practitioner=None, **kwargs):
    return appointment_book(
        treatment=treatment or world.dry_needling,
        practitioner=practitioner or world.maya,
        starts_at=at(world.day, hour, minute),
        patient=kwargs.pop("patient", patient()),
        now=now,
        privacy_notice_version="2026-11",
        **kwargs,
    )


def test_booking_stores_a_requested_appointment_with_end_buffer_reference_and_token(
    world, now, morning
):
    appointment = book(world, now, 10)

    assert appointment.status == AppointmentStatus.REQUESTED
    assert appointment.ends_at == at(world.day, 10, 45)
    assert appointment.occupied_until == at(world.day, 10, 55)
    assert len(appointment.reference) <= 12
    token = manage_token(appointment)
    assert len(token) >= 43  # 256 bits
    assert appointment.manage_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert appointment.consent_at == now
    assert appointment.privacy_notice_version == "2026-11"


def test_booking_logs_the_status_and_queues_patient_and_clinic_emails(world, now, morning):
    appointment = book(world, now, 10)

    assert list(appointment.status_changes.values_list("to_status", flat=True)) == ["requested"]
    kinds = set(appointment.notifications.values_list("kind", flat=True))
    assert kinds == {NotificationKind.REQUEST_RECEIVED, NotificationKind.CLINIC_NEW_REQUEST}


def test_treatment_without_confirmation_is_confirmed_at_once(world, now, morning):
    appointment = book(world, now, 10, treatment=world.follow_up)

    assert appointment.status == AppointmentStatus.CONFIRMED
    kinds = set(appointment.notifications.values_list("kind", flat=True))
    assert kinds == {NotificationKind.CONFIRMED, NotificationKind.CLINIC_NEW_REQUEST}


def test_staff_booking_is_confirmed_and_may_skip_notice(world, morning):
    late_now = at(world.day, 9, 50)

    appointment = book(world, late_now, 10, source="staff", enforce_policy=False)

    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.source == "staff"


def test_overlapping_booking_raises_slot_taken_and_saves_nothing(world, now, morning):
    book(world, now, 10)
    counts = (
        AppointmentRequest.objects.count(),
        AppointmentStatusChange.objects.count(),
        Notification.objects.count(),
    )

    with pytest.raises(SlotTakenError):
        book(world, now, 10, 30, treatment=world.follow_up, patient=patient(name="Other"))

    assert counts == (
        AppointmentRequest.objects.count(),
        AppointmentStatusChange.objects.count(),
        Notification.objects.count(),
    )


def test_buffer_after_an_appointment_is_held(world, now, morning):
    book(world, now, 10)  # held until 10:55

    with pytest.raises(SlotTakenError):
        book(world, now, 10, 45, treatment=world.follow_up)
    assert book(world, now, 11, treatment=world.follow_up).starts_at == at(world.day, 11)


def test_other_practitioner_may_have_the_same_time(world, now, morning):
    world.slot(world.tom, 9, 13)
    book(world, now, 10)

    assert book(world, now, 10, practitioner=world.tom).practitioner == world.tom


def test_database_refuses_overlap_even_without_the_service(world, now, morning):
    first = book(world, now, 10)

    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentRequest.objects.create(
            reference="MANUAL-1",
            manage_token_hash="x" * 64,
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=first.starts_at + timedelta(minutes=20),
            ends_at=first.ends_at + timedelta(minutes=20),
            occupied_until=first.occupied_until + timedelta(minutes=20),
            patient_name="Direct insert",
            email="d@example.com",
            phone="0123456789",
            privacy_notice_version="x",
        )


def test_database_refuses_an_unknown_status(world, now, morning):
    appointment = book(world, now, 10)

    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentRequest.objects.filter(pk=appointment.pk).update(status="maybe")


def test_cancelled_appointment_frees_its_time_in_the_database(world, now, morning):
    first = book(world, now, 10)
    first.status = AppointmentStatus.CANCELLED_BY_CLINIC
    first.save()

    assert book(world, now, 10).status == AppointmentStatus.REQUESTED


def test_time_outside_every_slot_is_refused(world, now, morning):
    with pytest.raises(BookingError, match="not available"):
        book(world, now, 14)


def test_treatment_running_past_the_slot_end_is_refused(world, now, morning):
    with pytest.raises(BookingError, match="not available"):
        book(world, now, 12, 30)  # 45 minutes would end at 13:15


def test_blocked_slot_is_not_bookable(world, now, morning):
    slot_set_blocked(slot_id=morning.pk, blocked=True)

    with pytest.raises(BookingError):
        book(world, now, 10)


def test_practitioner_who_does_not_offer_the_treatment_is_refused(world, now):
    world.slot(world.tom, 9, 13)

    with pytest.raises(BookingError, match="does not offer"):
        book(world, now, 10, treatment=world.massage, practitioner=world.tom)


def test_minimum_notice_is_enforced_for_patients(world, morning):
    with pytest.raises(BookingError, match="too soon"):
        book(world, at(world.day, 9), 10)


def test_time_in_the_past_is_refused(world, morning):
    with pytest.raises(BookingError, match="past"):
        book(world, at(world.day, 11), 10)


def test_booking_beyond_the_horizon_is_refused(world, morning):
    far_back = at(world.day, 8) - timedelta(days=60)

    with pytest.raises(BookingError, match="further ahead"):
        book(world, far_back, 10)


def test_start_off_the_quarter_hour_grid_is_refused_online(world, now, morning):
    with pytest.raises(BookingError, match="not one of the times"):
        book(world, now, 10, 7)


def test_reschedule_moves_the_same_row_and_frees_the_old_time(world, now, morning):
    appointment = book(world, now, 10)

    moved = appointment_reschedule(
        appointment_id=appointment.pk, starts_at=at(world.day, 11, 30), now=now
    )

    assert moved.pk == appointment.pk
    assert (moved.starts_at, moved.occupied_until) == (at(world.day, 11, 30), at(world.day, 12, 25))
    assert book(world, now, 10, patient=patient(name="Next")).starts_at == at(world.day, 10)
    assert moved.notifications.filter(kind=NotificationKind.RESCHEDULED).exists()


def test_reschedule_onto_a_taken_time_keeps_the_original(world, now, morning):
    appointment = book(world, now, 10)
    book(world, now, 11, 30, patient=patient(name="Other"))

    with pytest.raises(SlotTakenError):
        appointment_reschedule(
            appointment_id=appointment.pk, starts_at=at(world.day, 11, 30), now=now
        )

    appointment.refresh_from_db()
    assert appointment.starts_at == at(world.day, 10)
    assert not appointment.notifications.filter(kind=NotificationKind.RESCHEDULED).exists()


def test_reschedule_into_its_own_buffer_succeeds(world, now, morning):
    appointment = book(world, now, 10)

    moved = appointment_reschedule(
        appointment_id=appointment.pk, starts_at=at(world.day, 10, 30), now=now
    )

    assert moved.starts_at == at(world.day, 10, 30)


def test_patient_cancellation_frees_the_time(world, now, morning):
    appointment = book(world, now, 10)

    cancelled = appointment_cancel_by_patient(appointment_id=appointment.pk, now=now)

    assert cancelled.status == AppointmentStatus.CANCELLED_BY_PATIENT
    assert book(world, now, 10, patient=patient(name="Next")).is_active


def test_patient_cannot_cancel_inside_the_late_cancellation_window(world, morning):
    now = at(world.day, 8) - timedelta(days=2)
    appointment = book(world, now, 10)

    with pytest.raises(CancellationWindowError):
        appointment_cancel_by_patient(appointment_id=appointment.pk, now=at(world.day, 9))

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.REQUESTED


def test_cancel_window_boundary_is_exactly_the_policy_hours(world, clinic, morning):
    now = at(world.day, 8) - timedelta(days=2)
    appointment = book(world, now, 10)
    just_outside = appointment.starts_at - timedelta(hours=clinic.late_cancellation_hours)

    cancelled = appointment_cancel_by_patient(appointment_id=appointment.pk, now=just_outside)

    assert cancelled.status == AppointmentStatus.CANCELLED_BY_PATIENT


def test_cancel_of_an_unknown_appointment_is_refused(world, now):
    with pytest.raises(LinkExpiredError):
        appointment_cancel_by_patient(appointment_id=0, now=now)


def test_cancel_after_the_appointment_is_refused_as_expired(world, now, morning):
    appointment = book(world, now, 10)

    with pytest.raises(LinkExpiredError):
        appointment_cancel_by_patient(appointment_id=appointment.pk, now=at(world.day, 12))


def test_manual_slot_overlapping_another_is_refused_with_a_message(world, morning):
    with pytest.raises(BookingError, match="overlaps"):
        slot_add_manual(
            practitioner=world.maya, starts_at=at(world.day, 12), ends_at=at(world.day, 14)
        )


def test_manual_slot_makes_extra_time_bookable(world, now):
    slot_add_manual(practitioner=world.maya, starts_at=at(world.day, 18), ends_at=at(world.day, 20))

    assert book(world, now, 18).starts_at == at(world.day, 18)


# --- Details the mutation run (make mutate) showed no test pinned down ----------


def test_reference_is_two_groups_of_four_characters_that_cannot_be_confused(world, now, morning):
    reference = book(world, now, 10).reference

    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", reference)


def test_screening_answers_are_kept_for_needle_treatments_only(world, now, morning):
    answers = {**dict.fromkeys(SAFETY_KEYS, False), "bleeding": True}
    needling = book(world, now, 9, patient=patient(answers=answers))
    follow_up = book(world, now, 11, treatment=world.follow_up, patient=patient(answers=answers))

    assert needling.answers == kept_for(world.dry_needling, answers)
    assert kept_values(needling.answers) == answers
    assert [item["question"] for item in needling.answers] == [
        SAFETY_WORDING[key] for key in SAFETY_KEYS
    ]
    assert follow_up.answers == []


def test_booking_window_runs_from_the_notice_to_midnight_after_the_horizons_last_day(world, clinic):
    now = datetime(2027, 7, 1, 22, 30, tzinfo=UTC)  # 23:30 in London

    earliest, latest = booking_window(now=now)

    assert earliest == now + timedelta(hours=clinic.min_notice_hours)
    last_day = date(2027, 7, 1) + timedelta(days=clinic.booking_horizon_days)
    assert latest == datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=LONDON)


def test_declining_keeps_the_reason_and_confirming_leaves_no_decline_reason(world, now, morning):
    declined = book(world, now, 9)
    confirmed = book(world, now, 11)

    appointment_change_status(
        appointment_id=declined.pk, to_status=AppointmentStatus.DECLINED, now=now, note="Away"
    )
    appointment_change_status(
        appointment_id=confirmed.pk, to_status=AppointmentStatus.CONFIRMED, now=now, note="Fine"
    )

    declined.refresh_from_db()
    confirmed.refresh_from_db()
    assert declined.decline_reason == "Away"
    assert confirmed.decline_reason == ""


def test_anonymising_erases_the_patient_of_appointments_ended_before_the_cutoff(
    world, now, morning
):
    old = book(world, now, 9)
    later = book(world, now, 11)
    cutoff = old.ends_at + timedelta(minutes=1)

    assert appointments_anonymise(ended_before=cutoff, now=cutoff) == 1

    old.refresh_from_db()
    later.refresh_from_db()
    assert (old.patient_name, old.email, old.anonymised_at) == (
        "Anonymised",
        "anonymised@invalid.example",
        cutoff,
    )
    assert later.patient_name == "Sam Patel"
    assert later.anonymised_at is None


def test_anonymising_may_reach_up_to_now_but_not_beyond(world, now):
    assert appointments_anonymise(ended_before=now, now=now) == 0
    with pytest.raises(BookingError, match="in the past"):
        appointments_anonymise(ended_before=now + timedelta(seconds=1), now=now)


def test_status_change_history_names_the_staff_member_who_made_it(world, now, morning):
    from django.contrib.auth.models import AnonymousUser, User

    desk = User.objects.create(username="desk", is_staff=True)
    by_staff, by_nobody = book(world, now, 9), book(world, now, 11)

    appointment_change_status(
        appointment_id=by_staff.pk, to_status=AppointmentStatus.CONFIRMED, now=now, by=desk
    )
    appointment_change_status(
        appointment_id=by_nobody.pk,
        to_status=AppointmentStatus.CONFIRMED,
        now=now,
        by=AnonymousUser(),
    )

    def last_change(appointment):
        return appointment.status_changes.latest("changed_at", "pk")

    assert last_change(by_staff).changed_by == desk
    assert last_change(by_nobody).changed_by is None


def test_patient_cannot_move_an_appointment_inside_the_late_change_window(world, morning):
    appointment = book(world, at(world.day, 8) - timedelta(days=2), 9)

    with pytest.raises(CancellationWindowError):
        appointment_reschedule(
            appointment_id=appointment.pk, starts_at=at(world.day, 11), now=at(world.day, 7)
        )


def test_staff_may_move_an_appointment_inside_the_late_change_window(world, morning):
    appointment = book(world, at(world.day, 8) - timedelta(days=2), 9)

    moved = appointment_reschedule(
        appointment_id=appointment.pk,
        starts_at=at(world.day, 11),
        now=at(world.day, 7),
        enforce_policy=False,
    )

    assert moved.starts_at == at(world.day, 11)


def test_staff_cannot_move_a_cancelled_appointment(world, now, morning):
    appointment = book(world, now, 9)
    appointment_change_status(
        appointment_id=appointment.pk,
        to_status=AppointmentStatus.CANCELLED_BY_CLINIC,
        now=now,
        note="The practitioner is ill.",
    )

    with pytest.raises(BookingError, match="cancelled"):
        appointment_reschedule(
            appointment_id=appointment.pk,
            starts_at=at(world.day, 11),
            now=now,
            enforce_policy=False,
        )


def test_link_stops_working_the_moment_the_appointment_ends(world, now, morning):
    appointment = book(world, now, 9)

    with pytest.raises(LinkExpiredError):
        appointment_cancel_by_patient(appointment_id=appointment.pk, now=appointment.ends_at)


def test_history_says_whether_the_booking_came_online_or_from_staff(world, now, morning):
    online = book(world, now, 9)
    by_staff = book(world, now, 11, source=AppointmentRequest.Source.STAFF)

    assert online.status_changes.get().note == "Booked online"
    assert by_staff.status_changes.get().note == "Booked by staff"


def test_cancel_of_an_appointment_that_does_not_exist_is_an_invalid_link(world, now, morning):
    with pytest.raises(LinkExpiredError, match="not valid"):
        appointment_cancel_by_patient(appointment_id=987654321, now=now)


def test_manual_slot_of_no_length_is_refused_with_a_message(world):
    with pytest.raises(BookingError, match="must end after it starts"):
        slot_add_manual(
            practitioner=world.maya, starts_at=at(world.day, 9), ends_at=at(world.day, 9)
        )


def test_status_changes_queue_the_patients_email_unless_told_not_to(world, now, morning):
    confirmed, quiet, completed = book(world, now, 9), book(world, now, 10), book(world, now, 11)
    Notification.objects.all().delete()

    appointment_change_status(
        appointment_id=confirmed.pk, to_status=AppointmentStatus.CONFIRMED, now=now
    )
    appointment_change_status(
        appointment_id=quiet.pk, to_status=AppointmentStatus.CONFIRMED, now=now, notify=False
    )
    appointment_change_status(
        appointment_id=completed.pk, to_status=AppointmentStatus.CONFIRMED, now=now, notify=False
    )
    appointment_change_status(
        appointment_id=completed.pk,
        to_status=AppointmentStatus.COMPLETED,
        now=completed.ends_at,  # completed once it has happened
    )

    assert list(Notification.objects.values_list("appointment_id", "kind")) == [
        (confirmed.pk, NotificationKind.CONFIRMED)
    ]


def test_a_long_history_note_is_cut_to_five_hundred_characters(world, now, morning):
    appointment = book(world, now, 9)

    appointment_change_status(
        appointment_id=appointment.pk,
        to_status=AppointmentStatus.DECLINED,
        now=now,
        note="x" * 600,
    )

    assert len(appointment.status_changes.latest("pk").note) == 500


def test_a_time_exactly_at_the_minimum_notice_may_be_booked(world, morning):
    clinic_notice = timedelta(hours=2)  # the demo clinic's minimum notice
    appointment = book(world, at(world.day, 10) - clinic_notice, 10)

    assert appointment.starts_at == at(world.day, 10)


def test_a_time_exactly_at_the_end_of_the_horizon_is_refused(world, clinic):
    world.slot(world.maya, 0, 2)
    now = at(world.day, 12) - timedelta(days=clinic.booking_horizon_days + 1)

    with pytest.raises(BookingError, match="further ahead"):
        book(world, now, 0)


def test_an_inactive_practitioner_cannot_be_booked(world, now, morning):
    world.maya.is_active = False
    world.maya.save()

    with pytest.raises(BookingError, match="cannot be booked online"):
        book(world, now, 9)
