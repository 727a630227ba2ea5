"""Booking, rescheduling, moving and cancelling an appointment, each in one transaction."""

from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import QuerySet
from psycopg.errors import DeadlockDetected

from booking import signals
from booking.availability import (
    clinic_zone,
)
from booking.caching import on_commit_availability_changed
from booking.errors import (
    BookingError,
    CancellationWindowError,
    LinkExpiredError,
    SlotTakenError,
    violated_constraint,
)
from booking.formats import status_sentence
from booking.intake.questions import answers_kept, booking_forms, unanswered
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    NotificationKind,
    Patient,
    Practitioner,
    Treatment,
)
from booking.notifications import queue_notification
from booking.services.patients import PatientDetails, patient_for_details
from booking.services.rules import (
    check_fits_in_slot,
    check_key_unused,
    check_offers,
    check_policy,
    check_request_notice,
)
from booking.services.status import appointment_change_status, status_change_record
from booking.tokens import digest, private_token_new, reference_new
from clinic.identity import get_clinic

DOUBLE_BOOKING_CONSTRAINT = "appointment_no_double_booking"
BOOKING_KEY_CONSTRAINT = "appointment_booking_key_once"


@transaction.atomic
def appointment_book(
    *,
    treatment: Treatment,
    practitioner: Practitioner,
    starts_at: datetime,
    patient: PatientDetails,
    now: datetime,
    source: str = AppointmentRequest.Source.ONLINE,
    by=None,
    enforce_policy: bool = True,
    privacy_notice_version: str = "",
    booking_key: str = "",
    patient_record: Patient | None = None,
    joinable_patients: QuerySet | None = None,
) -> AppointmentRequest:
    """Book a time: re-check everything, insert, log, queue the e-mails.

    The appointment belongs to `patient_record` when staff chose one, or else
    to the record patient_for_details() finds or makes for the details (among
    `joinable_patients` when given).

    PostgreSQL's exclusion constraint has the last word on overlaps: when two
    patients submit the same time at once, the second insert waits for the
    first, then fails, and the patient gets SlotTakenError with nothing saved.

    `booking_key` is the review form's single-use key: a second submission
    with it (a double press, Back and resubmit) books nothing and raises
    AlreadyBookedError naming the booking the key made, even when both
    presses arrive at once. A needle-based treatment is never booked without
    an answer to every safety question, online or by staff on the phone.
    """
    key_hash = digest(booking_key) if booking_key else ""
    ends_at = _check_bookable(
        treatment=treatment,
        practitioner=practitioner,
        starts_at=starts_at,
        patient=patient,
        now=now,
        online=source == AppointmentRequest.Source.ONLINE,
        enforce_policy=enforce_policy,
        key_hash=key_hash,
    )
    record = patient_record or patient_for_details(details=patient, joinable=joinable_patients)
    if source == AppointmentRequest.Source.STAFF or not treatment.needs_confirmation(
        patient.answers, patient.versions
    ):
        status = AppointmentStatus.CONFIRMED
    else:
        status = AppointmentStatus.REQUESTED
    appointment = _insert(
        key_hash=key_hash,
        values=appointment_values(
            treatment=treatment,
            practitioner=practitioner,
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            source=source,
            record=record,
            patient=patient,
            now=now,
            privacy_notice_version=privacy_notice_version,
        ),
    )
    _announce_booking(appointment=appointment, now=now, by=by)
    return appointment


def appointment_values(
    *,
    treatment: Treatment,
    practitioner: Practitioner,
    starts_at: datetime,
    ends_at: datetime,
    status: str,
    source: str,
    record: Patient,
    patient: PatientDetails,
    now: datetime,
    privacy_notice_version: str,
) -> dict:
    """The new appointment's fields: what the patient gave, held through the buffer."""
    return dict(
        treatment=treatment,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=ends_at,
        occupied_until=ends_at + timedelta(minutes=treatment.buffer_after_minutes),
        status=status,
        source=source,
        patient=record,
        patient_name=patient.name,
        email=patient.email,
        phone=patient.phone,
        is_new_patient=patient.is_new_patient,
        reason=patient.reason,
        # Each answer kept with the words asked; only the treatment's own forms.
        answers=answers_kept(booking_forms(treatment, patient.versions), patient.answers),
        consent_at=now if privacy_notice_version else None,
        privacy_notice_version=privacy_notice_version,
    )


def _check_bookable(
    *,
    treatment: Treatment,
    practitioner: Practitioner,
    starts_at: datetime,
    patient: PatientDetails,
    now: datetime,
    online: bool,
    enforce_policy: bool,
    key_hash: str,
) -> datetime:
    """Every rule a new booking must pass before its insert; returns when it ends."""
    if starts_at.tzinfo is None:
        raise BookingError("The time has no time zone.")
    if key_hash:
        check_key_unused(key_hash)
    check_answered(treatment=treatment, patient=patient)
    check_offers(treatment=treatment, practitioner=practitioner)
    if enforce_policy:
        check_policy(starts_at=starts_at, now=now, treatment=treatment)
        if online and treatment.needs_confirmation(patient.answers, patient.versions):
            check_request_notice(
                starts_at=starts_at,
                now=now,
                because_of_answers=not treatment.requires_confirmation,
            )
    ends_at = starts_at + timedelta(minutes=treatment.duration_minutes)
    check_fits_in_slot(practitioner=practitioner, starts_at=starts_at, ends_at=ends_at)
    return ends_at


def check_answered(*, treatment: Treatment, patient: PatientDetails) -> None:
    """No booking without an answer to every required question of the treatment's
    booking forms, online or by staff on the phone: the forms say what must be asked."""
    missing = unanswered(booking_forms(treatment, patient.versions), patient.answers)
    if missing:
        raise BookingError(
            f"Please answer every question of the form before booking {treatment.name.lower()}"
            f" (“{missing[0]['text']}” has no answer)."
        )


def _insert(*, key_hash: str, values: dict) -> AppointmentRequest:
    """Insert the appointment with a fresh reference; the database refuses a clash."""
    for _attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: a refused insert leaves nothing
                reference = reference_new()
                return AppointmentRequest.objects.create(
                    reference=reference,
                    manage_token_hash=digest(private_token_new(reference)),
                    booking_key_hash=key_hash,
                    **values,
                )
        except IntegrityError as error:
            constraint = violated_constraint(error)
            if key_hash and constraint in {BOOKING_KEY_CONSTRAINT, DOUBLE_BOOKING_CONSTRAINT}:
                # A second press that ran alongside the first: it waited for the
                # first to commit, so the booking it made is visible now.
                check_key_unused(key_hash)
            if constraint == DOUBLE_BOOKING_CONSTRAINT:
                raise SlotTakenError(
                    "Sorry, that time was booked by someone else a moment ago."
                ) from error
            if _attempt == 4:
                raise
            # A reference collision: astronomically rare; draw again.
        except OperationalError as error:
            # Two inserts of overlapping times can each wait for the other while
            # PostgreSQL checks the exclusion constraint, and it aborts one of
            # them. Back at the savepoint, the retry meets the winner's committed
            # row and is refused like any other clash.
            if not isinstance(error.__cause__, DeadlockDetected) or _attempt == 4:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def _announce_booking(*, appointment: AppointmentRequest, now: datetime, by) -> None:
    """After the insert: the status history, the waitlist, the e-mails, the picker cache."""
    status, source = appointment.status, appointment.source
    status_change_record(
        appointment=appointment,
        from_status="",
        to_status=status,
        now=now,
        by=by,
        note="Booked online" if source == AppointmentRequest.Source.ONLINE else "Booked by staff",
    )
    signals.appointment_booked.send(sender=None, appointment=appointment, now=now)
    if source == AppointmentRequest.Source.ONLINE:
        kind = (
            NotificationKind.CONFIRMED
            if status == AppointmentStatus.CONFIRMED
            else NotificationKind.REQUEST_RECEIVED
        )
        queue_notification(appointment=appointment, kind=kind)
        queue_notification(appointment=appointment, kind=NotificationKind.CLINIC_NEW_REQUEST)
    else:
        queue_notification(appointment=appointment, kind=NotificationKind.CONFIRMED)
    on_commit_availability_changed(appointment.practitioner_id)


def _check_changeable_online(*, appointment: AppointmentRequest, now: datetime) -> None:
    if appointment.ends_at <= now:
        raise LinkExpiredError("This appointment is over, so the link no longer works.")
    if not appointment.is_active:
        raise BookingError(status_sentence(appointment.status))
    window = timedelta(hours=get_clinic().late_cancellation_hours)
    if appointment.starts_at - now < window:
        raise CancellationWindowError(
            "This appointment starts too soon to change online. Please phone the clinic."
        )


@transaction.atomic
def appointment_reschedule(
    *,
    appointment_id: int,
    starts_at: datetime,
    now: datetime,
    by=None,
    enforce_policy: bool = True,
) -> AppointmentRequest:
    """Move an appointment to a new start in one UPDATE.

    The row keeps its identity, so at no moment are both times held, and if
    the new time is taken the update fails and the old time stays booked.
    """
    appointment = (
        AppointmentRequest.objects.select_for_update()
        .select_related("treatment", "practitioner")
        .get(pk=appointment_id)
    )
    if enforce_policy:
        _check_changeable_online(appointment=appointment, now=now)
        check_policy(starts_at=starts_at, now=now, treatment=appointment.treatment)
        if appointment.status == AppointmentStatus.REQUESTED:
            check_request_notice(starts_at=starts_at, now=now)
    elif not appointment.is_active:
        raise BookingError(status_sentence(appointment.status))
    return _move_locked(
        appointment=appointment,
        practitioner=appointment.practitioner,
        starts_at=starts_at,
        now=now,
        by=by,
    )


def _move_locked(
    *,
    appointment: AppointmentRequest,
    practitioner: Practitioner,
    starts_at: datetime,
    now: datetime,
    by=None,
) -> AppointmentRequest:
    """Move a locked, active appointment to `starts_at` with `practitioner` in one UPDATE."""
    if starts_at == appointment.starts_at and practitioner.pk == appointment.practitioner_id:
        raise BookingError("That is the time already booked.")
    treatment = appointment.treatment
    ends_at = starts_at + timedelta(minutes=treatment.duration_minutes)
    check_fits_in_slot(practitioner=practitioner, starts_at=starts_at, ends_at=ends_at)
    old_starts_at, old_practitioner = appointment.starts_at, appointment.practitioner
    old_occupied_until = appointment.occupied_until
    appointment.practitioner = practitioner
    appointment.starts_at = starts_at
    appointment.ends_at = ends_at
    appointment.occupied_until = ends_at + timedelta(minutes=treatment.buffer_after_minutes)
    try:
        with transaction.atomic():
            appointment.save(
                update_fields=[
                    "practitioner",
                    "starts_at",
                    "ends_at",
                    "occupied_until",
                    "updated_at",
                ]
            )
    except IntegrityError as error:
        if violated_constraint(error) == DOUBLE_BOOKING_CONSTRAINT:
            raise SlotTakenError(
                "Sorry, that time was booked by someone else a moment ago."
            ) from error
        raise
    zone = clinic_zone()
    note = (
        f"Moved from {old_starts_at.astimezone(zone):%a %d %b %Y %H:%M} "
        f"to {starts_at.astimezone(zone):%a %d %b %Y %H:%M}"
    )
    if practitioner.pk != old_practitioner.pk:
        note += f", from {old_practitioner.name} to {practitioner.name}"
    status_change_record(
        appointment=appointment,
        from_status=appointment.status,
        to_status=appointment.status,
        now=now,
        by=by,
        note=note,
    )
    queue_notification(appointment=appointment, kind=NotificationKind.RESCHEDULED)
    signals.time_taken.send(
        sender=None,
        practitioner_id=practitioner.pk,
        starts_at=starts_at,
        occupied_until=appointment.occupied_until,
        now=now,
    )
    if old_starts_at > now:
        signals.time_freed.send(
            sender=None,
            practitioner_id=old_practitioner.pk,
            starts_at=old_starts_at,
            ends_at=old_occupied_until,
        )
    if not getattr(by, "is_authenticated", False):
        # The patient moved it through the private link: the front desk must know.
        queue_notification(appointment=appointment, kind=NotificationKind.CLINIC_MOVED)
    on_commit_availability_changed(practitioner.pk, old_practitioner.pk)
    return appointment


@transaction.atomic
def appointment_cancel_by_patient(*, appointment_id: int, now: datetime) -> AppointmentRequest:
    """Cancel through the private link; frees the time at once and tells the clinic."""
    appointment = AppointmentRequest.objects.select_for_update().filter(pk=appointment_id).first()
    if appointment is None:
        raise LinkExpiredError("This link is not valid.")
    _check_changeable_online(appointment=appointment, now=now)
    on_commit_availability_changed(appointment.practitioner_id)
    appointment = appointment_change_status(
        appointment_id=appointment.pk,
        to_status=AppointmentStatus.CANCELLED_BY_PATIENT,
        now=now,
        note="Cancelled online by the patient",
    )
    queue_notification(appointment=appointment, kind=NotificationKind.CLINIC_CANCELLED)
    return appointment


# --- Moving an appointment (staff) ------------------------------------------------


@transaction.atomic
def appointment_move(
    *,
    appointment_id: int,
    starts_at: datetime,
    now: datetime,
    by=None,
    practitioner: Practitioner | None = None,
) -> AppointmentRequest:
    """Staff move an appointment to another time, with the same or another practitioner.

    One UPDATE under the double-booking constraint: the old time is held until
    the new one is, and a clash raises SlotTakenError with nothing changed. The
    patient gets the "new time" e-mail and the status history records who moved it.
    """
    if starts_at.tzinfo is None:
        raise BookingError("The time has no time zone.")
    appointment = (
        AppointmentRequest.objects.select_for_update()
        .select_related("treatment", "practitioner")
        .get(pk=appointment_id)
    )
    if not appointment.is_active:
        raise BookingError(
            f"Appointment {appointment.reference} is "
            f"{appointment.get_status_display().lower()}, so it cannot be moved."
        )
    if starts_at < now:
        raise BookingError("That time is in the past. Choose a time from now on.")
    target = practitioner or appointment.practitioner
    if target.pk != appointment.practitioner_id:
        check_offers(treatment=appointment.treatment, practitioner=target)
    return _move_locked(
        appointment=appointment, practitioner=target, starts_at=starts_at, now=now, by=by
    )
