"""Every write that matters in booking: one transaction each, `now` passed in."""

import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from psycopg.errors import DeadlockDetected

from booking import signals
from booking.availability import (
    booking_window,
    clinic_zone,
    closed_days,
    local_instant,
    on_step,
    request_confirmable_from,
    start_step,
)
from booking.caching import availability_changed
from booking.errors import (
    AlreadyBookedError,
    BookingError,
    CancellationWindowError,
    InvalidTransitionError,
    LinkExpiredError,
    SlotTakenError,
)
from booking.formats import status_sentence
from booking.intervals import Interval, merge, subtract
from booking.locks import Lock, lock_transaction
from booking.models import (
    ACTIVE_STATUSES,
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    AvailabilityException,
    Notification,
    NotificationKind,
    Patient,
    Practitioner,
    TimeSlot,
    Treatment,
    WaitlistEntry,
    WaitlistEntryStatus,
    WaitlistOffer,
    WeeklyAvailability,
    email_key,
    phone_key,
)
from booking.notifications import queue_notification
from booking.screening import screening_complete
from booking.tokens import digest, private_token_new, reference_new
from clinic.identity import get_clinic

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    AppointmentStatus.REQUESTED: {
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.DECLINED,
        AppointmentStatus.CANCELLED_BY_PATIENT,
        AppointmentStatus.CANCELLED_BY_CLINIC,
    },
    AppointmentStatus.CONFIRMED: {
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.CANCELLED_BY_PATIENT,
        AppointmentStatus.CANCELLED_BY_CLINIC,
    },
    AppointmentStatus.COMPLETED: set(),
    AppointmentStatus.NO_SHOW: set(),
    AppointmentStatus.DECLINED: set(),
    AppointmentStatus.CANCELLED_BY_PATIENT: set(),
    AppointmentStatus.CANCELLED_BY_CLINIC: set(),
}

# Statuses that give the appointment's time back: the waitlist is offered it.
FREES_TIME = {
    AppointmentStatus.DECLINED,
    AppointmentStatus.CANCELLED_BY_PATIENT,
    AppointmentStatus.CANCELLED_BY_CLINIC,
}

# The e-mail the patient gets when an appointment reaches a status.
NOTIFICATION_FOR_STATUS = {
    AppointmentStatus.CONFIRMED: NotificationKind.CONFIRMED,
    AppointmentStatus.DECLINED: NotificationKind.DECLINED,
    AppointmentStatus.CANCELLED_BY_PATIENT: NotificationKind.CANCELLED,
    AppointmentStatus.CANCELLED_BY_CLINIC: NotificationKind.CANCELLED,
}


def status_change_record(
    *,
    appointment: AppointmentRequest,
    from_status: str,
    to_status: str,
    now: datetime,
    by=None,
    note: str = "",
) -> AppointmentStatusChange:
    """Write the history line for a status change (also for a new appointment)."""
    return AppointmentStatusChange.objects.create(
        appointment=appointment,
        from_status=from_status,
        to_status=to_status,
        changed_by=by if getattr(by, "is_authenticated", False) else None,
        changed_at=now,
        note=note[:500],
    )


@transaction.atomic
def appointment_change_status(
    *,
    appointment_id: int,
    to_status: str,
    now: datetime,
    by=None,
    note: str = "",
    notify: bool = True,
) -> AppointmentRequest:
    """Move an appointment to a new status: lock, re-check, write, log, e-mail.

    Two staff confirming the same request at once: the second waits for the
    lock, then finds it confirmed and gets InvalidTransitionError.
    """
    appointment = (
        AppointmentRequest.objects.select_for_update()
        .select_related("treatment", "practitioner")
        .get(pk=appointment_id)
    )
    from_status = appointment.status
    refusal = status_change_refusal(appointment=appointment, to_status=to_status, now=now)
    if refusal:
        raise InvalidTransitionError(refusal)
    appointment.status = to_status
    update_fields = ["status", "updated_at"]
    if to_status == AppointmentStatus.DECLINED:
        appointment.decline_reason = note
        update_fields.append("decline_reason")
    appointment.save(update_fields=update_fields)
    status_change_record(
        appointment=appointment,
        from_status=from_status,
        to_status=to_status,
        now=now,
        by=by,
        note=note,
    )
    if to_status not in ACTIVE_STATUSES:
        # Declined or cancelled time is free again: offer it at once.
        transaction.on_commit(availability_changed)
    if to_status in FREES_TIME and appointment.starts_at > now:
        signals.time_freed.send(
            sender=None,
            practitioner_id=appointment.practitioner_id,
            starts_at=appointment.starts_at,
            ends_at=appointment.occupied_until,
        )
    kind = NOTIFICATION_FOR_STATUS.get(to_status)
    if notify and kind is not None:
        queue_notification(appointment=appointment, kind=kind)
    return appointment


# --- Patient booking, rescheduling, cancelling and the slot generator. ---

# The shortest slot worth generating. Offered start times fall on each
# treatment's own step past the full hour (Treatment.start_step_minutes).
GRANULARITY = timedelta(minutes=15)

DOUBLE_BOOKING_CONSTRAINT = "appointment_no_double_booking"
BOOKING_KEY_CONSTRAINT = "appointment_booking_key_once"


@dataclass(frozen=True)
class PatientDetails:
    name: str
    email: str
    phone: str
    is_new_patient: bool
    reason: str = ""
    screening: dict[str, bool] = field(default_factory=dict)
    date_of_birth: date | None = None

    @classmethod
    def of(cls, record) -> "PatientDetails":
        """The details an appointment or a waitlist entry was made with."""
        return cls(
            name=record.patient_name,
            email=record.email,
            phone=record.phone,
            is_new_patient=record.is_new_patient,
            reason=record.reason,
            screening=dict(getattr(record, "screening", None) or {}),
        )


def _constraint_name(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _check_policy(*, starts_at: datetime, now: datetime, treatment: Treatment) -> None:
    earliest, latest = booking_window(now=now)
    if starts_at < now:
        raise BookingError("That time is in the past. Please choose another time.")
    if starts_at < earliest:
        raise BookingError(
            "That time is too soon to book online. Please choose a later time or phone us."
        )
    if starts_at >= latest:
        raise BookingError("That time is further ahead than we take bookings for.")
    if not on_step(starts_at, start_step(treatment)):
        raise BookingError("That is not one of the times we offer. Please choose a listed time.")


def request_notice_refusal(
    *, starts_at: datetime, now: datetime, because_of_answers: bool = False
) -> str:
    """Why a request for `starts_at` leaves staff no time to confirm it, or "" when it does."""
    confirmable = request_confirmable_from(now=now)
    if starts_at >= confirmable:
        return ""
    phone = get_clinic().phone
    phone_us = f"phone us{f' on {phone}' if phone else ''}"
    if not because_of_answers:
        return (
            "That time is too soon for us to confirm a request before it starts. "
            f"Please choose a later time, or {phone_us} to book it."
        )
    local = confirmable.astimezone(clinic_zone())
    return (
        "Because of your answers to the safety questions, a physiotherapist looks at them "
        "before confirming, and that time is too soon for us to do so. Please choose a time "
        f"from {local:%A} {local.day} {local:%B} at {local:%H:%M}, or {phone_us}."
    )


def _check_request_notice(
    *, starts_at: datetime, now: datetime, because_of_answers: bool = False
) -> None:
    """A request must leave staff the time to confirm it before it starts."""
    refusal = request_notice_refusal(
        starts_at=starts_at, now=now, because_of_answers=because_of_answers
    )
    if refusal:
        raise BookingError(refusal)


def _check_fits_in_slot(*, practitioner: Practitioner, starts_at: datetime, ends_at: datetime):
    fits = TimeSlot.objects.filter(
        practitioner=practitioner,
        is_blocked=False,
        starts_at__lte=starts_at,
        ends_at__gte=ends_at,
    ).exists()
    if not fits:
        raise BookingError(
            f"{practitioner.name} is not available at that time. Please choose another time."
        )


def _check_key_unused(key_hash: str) -> None:
    booked = (
        AppointmentRequest.objects.select_related("treatment", "practitioner")
        .filter(booking_key_hash=key_hash)
        .first()
    )
    if booked is not None:
        raise AlreadyBookedError(
            f"This form has already booked appointment {booked.reference}.", appointment=booked
        )


def _check_offers(*, treatment: Treatment, practitioner: Practitioner) -> None:
    if not (treatment.is_active and practitioner.is_active):
        raise BookingError("That treatment or practitioner cannot be booked online.")
    if not practitioner.treatments.filter(pk=treatment.pk).exists():
        raise BookingError(f"{practitioner.name} does not offer {treatment.name}.")


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
    if starts_at.tzinfo is None:
        raise BookingError("The time has no time zone.")
    key_hash = digest(booking_key) if booking_key else ""
    if key_hash:
        _check_key_unused(key_hash)
    online = source == AppointmentRequest.Source.ONLINE
    if treatment.is_needle_based and not screening_complete(patient.screening):
        raise BookingError(
            f"Please answer every safety question before booking {treatment.name.lower()}."
        )
    _check_offers(treatment=treatment, practitioner=practitioner)
    if enforce_policy:
        _check_policy(starts_at=starts_at, now=now, treatment=treatment)
        if online and treatment.needs_confirmation(patient.screening):
            _check_request_notice(
                starts_at=starts_at,
                now=now,
                because_of_answers=not treatment.requires_confirmation,
            )
    ends_at = starts_at + timedelta(minutes=treatment.duration_minutes)
    _check_fits_in_slot(practitioner=practitioner, starts_at=starts_at, ends_at=ends_at)

    record = patient_record or patient_for_details(details=patient, joinable=joinable_patients)
    if source == AppointmentRequest.Source.STAFF or not treatment.needs_confirmation(
        patient.screening
    ):
        status = AppointmentStatus.CONFIRMED
    else:
        status = AppointmentStatus.REQUESTED
    for _attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: a refused insert leaves nothing
                reference = reference_new()
                appointment = AppointmentRequest.objects.create(
                    reference=reference,
                    manage_token_hash=digest(private_token_new(reference)),
                    booking_key_hash=key_hash,
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
                    screening=dict(patient.screening) if treatment.is_needle_based else {},
                    consent_at=now if privacy_notice_version else None,
                    privacy_notice_version=privacy_notice_version,
                )
            break
        except IntegrityError as error:
            constraint = _constraint_name(error)
            if key_hash and constraint in {BOOKING_KEY_CONSTRAINT, DOUBLE_BOOKING_CONSTRAINT}:
                # A second press that ran alongside the first: it waited for the
                # first to commit, so the booking it made is visible now.
                _check_key_unused(key_hash)
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
    transaction.on_commit(availability_changed)
    return appointment


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
        _check_policy(starts_at=starts_at, now=now, treatment=appointment.treatment)
        if appointment.status == AppointmentStatus.REQUESTED:
            _check_request_notice(starts_at=starts_at, now=now)
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
    _check_fits_in_slot(practitioner=practitioner, starts_at=starts_at, ends_at=ends_at)
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
        if _constraint_name(error) == DOUBLE_BOOKING_CONSTRAINT:
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
    transaction.on_commit(availability_changed)
    return appointment


@transaction.atomic
def appointment_cancel_by_patient(*, appointment_id: int, now: datetime) -> AppointmentRequest:
    """Cancel through the private link; frees the time at once and tells the clinic."""
    appointment = AppointmentRequest.objects.select_for_update().filter(pk=appointment_id).first()
    if appointment is None:
        raise LinkExpiredError("This link is not valid.")
    _check_changeable_online(appointment=appointment, now=now)
    transaction.on_commit(availability_changed)
    appointment = appointment_change_status(
        appointment_id=appointment.pk,
        to_status=AppointmentStatus.CANCELLED_BY_PATIENT,
        now=now,
        note="Cancelled online by the patient",
    )
    queue_notification(appointment=appointment, kind=NotificationKind.CLINIC_CANCELLED)
    return appointment


# Slots -----------------------------------------------------------------------

# Serialises slot generation (the daily command and an admin click at once).


def _wanted_intervals(
    *, practitioner_ids: list[int], first: date, last: date, zone: ZoneInfo
) -> dict[int, list[Interval]]:
    """Each practitioner's working time in [first, last] from week, exceptions, closures."""
    weekly: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    for row in WeeklyAvailability.objects.filter(practitioner_id__in=practitioner_ids):
        weekly[row.practitioner_id][row.weekday].append((row.starts_at, row.ends_at))
    exceptions: dict[tuple[int, date], list[AvailabilityException]] = defaultdict(list)
    for row in AvailabilityException.objects.filter(
        practitioner_id__in=practitioner_ids, date__gte=first, date__lte=last
    ):
        exceptions[(row.practitioner_id, row.date)].append(row)
    closed = closed_days(first=first, last=last)

    wanted: dict[int, list[Interval]] = {}
    for practitioner_id in practitioner_ids:
        intervals: list[Interval] = []
        day = first
        while day <= last:
            if day not in closed:
                local = list(weekly[practitioner_id][day.weekday()])
                todays = exceptions.get((practitioner_id, day), [])
                local.extend((e.starts_at, e.ends_at) for e in todays if e.kind == "extra")
                day_intervals = merge(
                    [(local_instant(day, s, zone), local_instant(day, e, zone)) for s, e in local]
                )
                off = []
                for exception in todays:
                    if exception.kind != "time_off":
                        continue
                    if exception.starts_at is None:
                        off.append(
                            (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
                        )
                    else:
                        off.append(
                            (
                                local_instant(day, exception.starts_at, zone),
                                local_instant(day, exception.ends_at, zone),
                            )
                        )
                intervals.extend(i for i in subtract(day_intervals, off) if i[1] > i[0])
            day += timedelta(days=1)
        wanted[practitioner_id] = intervals
    return wanted


@transaction.atomic
def slots_generate(
    *, start: date, days: int, now: datetime, practitioners: Iterable[Practitioner] | None = None
) -> int:
    """Materialise bookable slots from the availability for `days` days from `start`.

    Idempotent: a second run with the same availability changes nothing. Slots
    that hold an active appointment, staff's manual slots and blocked slots are
    never removed or moved; new time is cut around them. Returns how many
    slots were created.
    """
    lock_transaction(Lock.SLOT_GENERATION)
    zone = clinic_zone()
    first, last = start, start + timedelta(days=days - 1)
    window_start = datetime.combine(first, time(0), tzinfo=zone)
    window_end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    if practitioners is None:
        practitioner_ids = list(Practitioner.objects.active().values_list("pk", flat=True))
    else:
        practitioner_ids = [p.pk for p in practitioners]
    wanted = _wanted_intervals(practitioner_ids=practitioner_ids, first=first, last=last, zone=zone)

    existing = list(
        TimeSlot.objects.filter(
            practitioner_id__in=practitioner_ids,
            starts_at__lt=window_end + timedelta(days=1),
            ends_at__gt=window_start - timedelta(days=1),
        )
    )
    booked = defaultdict(list)
    for appointment in AppointmentRequest.objects.active().filter(
        practitioner_id__in=practitioner_ids,
        starts_at__lt=window_end + timedelta(days=1),
        ends_at__gt=window_start - timedelta(days=1),
    ):
        booked[appointment.practitioner_id].append((appointment.starts_at, appointment.ends_at))

    def is_protected(slot: TimeSlot) -> bool:
        if slot.source == TimeSlot.Source.MANUAL or slot.is_blocked or slot.starts_at < now:
            return True
        if not (window_start <= slot.starts_at and slot.ends_at <= window_end):
            return True  # outside this run's window: not ours to judge
        return any(s < slot.ends_at and e > slot.starts_at for s, e in booked[slot.practitioner_id])

    protected = defaultdict(list)
    for slot in existing:
        if is_protected(slot):
            protected[slot.practitioner_id].append((slot.starts_at, slot.ends_at))

    to_delete, to_create = [], []
    for practitioner_id in practitioner_ids:
        target = {
            (s, e)
            for s, e in subtract(wanted[practitioner_id], protected[practitioner_id])
            if e - s >= GRANULARITY and e > now
        }
        have = set()
        for slot in existing:
            if slot.practitioner_id != practitioner_id or is_protected(slot):
                continue
            key = (slot.starts_at, slot.ends_at)
            if key in target and key not in have:
                have.add(key)
            else:
                to_delete.append(slot.pk)
        to_create.extend(
            TimeSlot(
                practitioner_id=practitioner_id,
                starts_at=s,
                ends_at=e,
                source=TimeSlot.Source.GENERATED,
            )
            for s, e in sorted(target - have)
        )
    if to_delete:
        TimeSlot.objects.filter(pk__in=to_delete).delete()
    TimeSlot.objects.bulk_create(to_create)
    if to_delete or to_create:
        transaction.on_commit(availability_changed)
    # New working time (hours added, time off removed, a new day in the horizon)
    # is free time the waitlist may be waiting for.
    new_time: dict[int, list[TimeSlot]] = defaultdict(list)
    for slot in to_create:
        new_time[slot.practitioner_id].append(slot)
    for practitioner_id, slots in new_time.items():
        signals.time_freed.send(
            sender=None,
            practitioner_id=practitioner_id,
            starts_at=min(slot.starts_at for slot in slots),
            ends_at=max(slot.ends_at for slot in slots),
        )
    return len(to_create)


@transaction.atomic
def slot_set_blocked(*, slot_id: int, blocked: bool) -> TimeSlot:
    """Stop (or resume) offering a slot; appointments already in it stay booked."""
    slot = TimeSlot.objects.select_for_update().get(pk=slot_id)
    if slot.is_blocked != blocked:
        slot.is_blocked = blocked
        slot.save(update_fields=["is_blocked"])
        transaction.on_commit(availability_changed)
        if not blocked:
            signals.time_freed.send(
                sender=None,
                practitioner_id=slot.practitioner_id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
            )
    return slot


@transaction.atomic
def slot_add_manual(
    *, practitioner: Practitioner, starts_at: datetime, ends_at: datetime
) -> TimeSlot:
    """Add bookable time by hand, for example an extra evening session."""
    if ends_at <= starts_at:
        raise BookingError("The slot must end after it starts.")
    try:
        with transaction.atomic():
            slot = TimeSlot.objects.create(
                practitioner=practitioner,
                starts_at=starts_at,
                ends_at=ends_at,
                source=TimeSlot.Source.MANUAL,
            )
        transaction.on_commit(availability_changed)
        signals.time_freed.send(
            sender=None, practitioner_id=practitioner.pk, starts_at=starts_at, ends_at=ends_at
        )
        return slot
    except IntegrityError as error:
        if _constraint_name(error) == "time_slot_no_overlap":
            raise BookingError(
                f"This time overlaps another slot of {practitioner.name}; "
                "change or unblock that slot instead."
            ) from error
        raise


# --- Staff workspace (admin) services go below this line. ---


ANONYMISED_NAME = "Anonymised"
ANONYMISED_EMAIL = "anonymised@invalid.example"


@transaction.atomic
def appointments_anonymise(*, ended_before: datetime, now: datetime) -> int:
    """Erase the personal details of appointments that ended before `ended_before`.

    Treatment, practitioner, times, status and source stay for the statistics;
    name, e-mail, phone, reason, screening answers, the manage link and free
    text that may name the patient (decline reason, history notes, mail errors,
    admin log labels) go. Patient records left with nothing but anonymised
    appointments are anonymised too. Already anonymised rows are left alone,
    so running it twice changes nothing. Returns how many appointments were
    anonymised.
    """
    if ended_before > now:
        raise BookingError("Only appointments in the past can be anonymised.")
    due = AppointmentRequest.objects.select_for_update().filter(
        anonymised_at__isnull=True, ends_at__lt=ended_before
    )
    ids = list(due.values_list("pk", flat=True))
    _appointments_erase(ids=ids, now=now)
    _waitlist_erase(
        ids=list(
            WaitlistEntry.objects.select_for_update()
            .filter(anonymised_at__isnull=True, last_day__lt=ended_before.date())
            .exclude(status=WaitlistEntryStatus.WAITING)
            .values_list("pk", flat=True)
        ),
        now=now,
    )
    # A patient whose every appointment and waitlist entry is now anonymised
    # (or who never booked, and was added long ago) has nothing left to keep.
    _patients_erase(
        ids=list(
            Patient.objects.select_for_update()
            .current()
            .filter(created_at__lt=ended_before)
            .exclude(
                Exists(
                    AppointmentRequest.objects.filter(
                        patient=OuterRef("pk"), anonymised_at__isnull=True
                    )
                )
            )
            .exclude(
                Exists(
                    WaitlistEntry.objects.filter(patient=OuterRef("pk"), anonymised_at__isnull=True)
                )
            )
            .values_list("pk", flat=True)
        ),
        now=now,
    )
    return len(ids)


def _appointments_erase(*, ids: list[int], now: datetime) -> None:
    """Replace the personal details of these appointments; keep what statistics need."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    if not ids:
        return
    AppointmentRequest.objects.filter(pk__in=ids).update(
        patient_name=ANONYMISED_NAME,
        email=ANONYMISED_EMAIL,
        phone="",
        reason="",
        screening={},
        decline_reason="",
        # Unique and useless: the old manage link stops working.
        manage_token_hash=Concat(Value("anonymised-"), Cast("pk", CharField())),
        anonymised_at=now,
    )
    AppointmentStatusChange.objects.filter(appointment_id__in=ids).update(note="")
    Notification.objects.filter(appointment_id__in=ids).update(last_error="")
    # The admin's own history labels each row with str(appointment), which names the patient.
    _erase_admin_log(model=AppointmentRequest, ids=ids)


def _waitlist_erase(*, ids: list[int], now: datetime) -> None:
    """Replace the personal details of these waitlist entries; their links stop working."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    if not ids:
        return
    waiting = list(
        WaitlistEntry.objects.filter(pk__in=ids, status=WaitlistEntryStatus.WAITING).values_list(
            "pk", flat=True
        )
    )
    WaitlistEntry.objects.filter(pk__in=waiting).update(
        status=WaitlistEntryStatus.LEFT, closed_at=now
    )
    signals.waitlist_places_erased.send(sender=None, entry_ids=ids, now=now)
    WaitlistEntry.objects.filter(pk__in=ids).update(
        patient_name=ANONYMISED_NAME,
        email=ANONYMISED_EMAIL,
        phone="",
        reason="",
        token_hash=Concat(Value("anonymised-"), Cast("pk", CharField())),
        anonymised_at=now,
    )
    WaitlistOffer.objects.filter(entry_id__in=ids).update(
        token_hash=Concat(Value("anonymised-"), Cast("pk", CharField()))
    )
    Notification.objects.filter(Q(waitlist_entry_id__in=ids) | Q(offer__entry_id__in=ids)).update(
        last_error=""
    )
    _erase_admin_log(model=WaitlistEntry, ids=ids)


def _erase_admin_log(*, model, ids: list[int]) -> None:
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Value

    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in ids],
    ).update(object_repr=Value(ANONYMISED_NAME))


def _patients_erase(*, ids: list[int], now: datetime) -> None:
    if not ids:
        return
    Patient.objects.filter(pk__in=ids).update(
        name=ANONYMISED_NAME,
        email="",
        phone="",
        phone_key="",
        date_of_birth=None,
        notes="",
        possible_match=None,
        anonymised_at=now,
    )
    # An erased record is nobody's possible match any more.
    Patient.objects.filter(possible_match_id__in=ids).update(possible_match=None)
    _erase_admin_log(model=Patient, ids=ids)


# --- Status changes: which are valid, and when -----------------------------------


def status_change_refusal(*, appointment: AppointmentRequest, to_status: str, now: datetime) -> str:
    """Why `appointment` cannot be marked `to_status` at `now`, or "" when it can.

    Staff are only offered what this allows, and the services check it again.
    """
    reference = appointment.reference
    if to_status not in ALLOWED_TRANSITIONS.get(appointment.status, set()):
        return (
            f"Appointment {reference} is {appointment.get_status_display().lower()}"
            f" and cannot be marked {AppointmentStatus(to_status).label.lower()}."
        )
    if to_status == AppointmentStatus.CONFIRMED and appointment.starts_at <= now:
        return f"Appointment {reference} has already started, so it cannot be confirmed any more."
    if (
        to_status in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
        and appointment.starts_at > now
    ):
        return (
            f"Appointment {reference} has not started yet, so it cannot be marked "
            f"{AppointmentStatus(to_status).label.lower()}."
        )
    if to_status == AppointmentStatus.NO_SHOW and appointment.arrived_at is not None:
        return f"The patient of appointment {reference} arrived, so it is not a no-show."
    return ""


def arrival_refusal(*, appointment: AppointmentRequest, now: datetime) -> str:
    """Why the patient's arrival cannot be recorded at `now`, or "" when it can."""
    reference = appointment.reference
    if appointment.status != AppointmentStatus.CONFIRMED:
        return (
            f"Appointment {reference} is {appointment.get_status_display().lower()}, "
            "so an arrival cannot be recorded."
        )
    if appointment.arrived_at is not None:
        arrived = appointment.arrived_at.astimezone(clinic_zone())
        return f"The patient of appointment {reference} arrived at {arrived:%H:%M} already."
    early = timedelta(minutes=settings.BOOKING_ARRIVAL_EARLY_MINUTES)
    if now < appointment.starts_at - early:
        opens = (appointment.starts_at - early).astimezone(clinic_zone())
        return f"Appointment {reference} is later: arrivals can be recorded from {opens:%H:%M}."
    if now >= appointment.ends_at:
        return f"Appointment {reference} is over: mark it completed or a no-show instead."
    return ""


@transaction.atomic
def appointment_mark_arrived(*, appointment_id: int, now: datetime, by=None) -> AppointmentRequest:
    """Record that the patient is here; the status history says who saw them arrive."""
    appointment = AppointmentRequest.objects.select_for_update().get(pk=appointment_id)
    refusal = arrival_refusal(appointment=appointment, now=now)
    if refusal:
        raise InvalidTransitionError(refusal)
    appointment.arrived_at = now
    appointment.save(update_fields=["arrived_at", "updated_at"])
    status_change_record(
        appointment=appointment,
        from_status=appointment.status,
        to_status=appointment.status,
        now=now,
        by=by,
        note=f"Arrived at {now.astimezone(clinic_zone()):%H:%M}",
    )
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
        _check_offers(treatment=appointment.treatment, practitioner=target)
    return _move_locked(
        appointment=appointment, practitioner=target, starts_at=starts_at, now=now, by=by
    )


# --- Patients -----------------------------------------------------------------------


def _same_name(first: str, second: str) -> bool:
    return " ".join(first.casefold().split()) == " ".join(second.casefold().split())


def patient_for_details(*, details: PatientDetails, joinable: QuerySet | None = None) -> Patient:
    """The record a booking with these details joins; a new one when none may be joined.

    A phone number or an e-mail address is easy to learn, so neither alone
    links a booking to anyone's record: a booking joins a record only when
    the name matches too (a returning patient who books again). Where the
    e-mail or phone belongs to a record under another name, the booking gets a
    record of its own, marked as a possible match of that one: front desk
    compares the two, and merges them or not. `joinable` narrows the records a
    booking may join (a practitioner's phone-in: only patients they already
    see). Nothing on an existing record changes: what the patient typed
    belongs to their appointment.
    """
    email, phone = email_key(details.email), phone_key(details.phone)
    keys = sorted(key for key in (email and f"email:{email}", phone and f"phone:{phone}") if key)
    matches: list[Patient] = []
    if keys:
        for key in keys:  # in one order, so two bookings never wait on each other
            lock_transaction(Lock.PATIENT, key)
        contact = (Q(email=email) if email else Q()) | (Q(phone_key=phone) if phone else Q())
        matches = list(
            Patient.objects.current()
            .select_for_update()
            .filter(contact)
            .order_by("-updated_at", "-pk")[:20]
        )
    # A record is joined by its e-mail, or by its phone when the booking gives no e-mail
    # (a family may share a phone); the other contact detail can only suggest a match.
    keyed = [p for p in matches if (p.email == email if email else p.phone_key == phone)]
    allowed = {patient.pk for patient in keyed}
    if joinable is not None and allowed:
        allowed &= set(joinable.filter(pk__in=allowed).values_list("pk", flat=True))
    for patient in keyed:
        if patient.pk in allowed and _same_name(patient.name, details.name):
            return patient
    suggested = keyed or matches
    return Patient.objects.create(
        name=details.name,
        email=email,
        phone=details.phone,
        phone_key=phone,
        date_of_birth=details.date_of_birth,
        possible_match=suggested[0] if suggested else None,
    )


@transaction.atomic
def patient_save(*, patient: Patient, now: datetime) -> Patient:
    """Save a patient record as staff edited it.

    The e-mail is stored in lower case and the phone's digits are kept for
    finding the patient. Upcoming appointments take the new name and contact
    details, so their e-mails and reminders reach the patient where they are now.
    """
    if patient.anonymised_at is not None:
        raise BookingError("This patient's details have been anonymised.")
    patient.name = " ".join(patient.name.split())
    patient.email = email_key(patient.email)
    patient.phone = " ".join(patient.phone.split())
    patient.phone_key = phone_key(patient.phone)
    patient.save()
    AppointmentRequest.objects.active().filter(patient=patient, starts_at__gt=now).update(
        patient_name=patient.name, email=patient.email, phone=patient.phone
    )
    for entry in patient.waitlist_entries.filter(status=WaitlistEntryStatus.WAITING):
        entry.patient_name, entry.email, entry.phone = patient.name, patient.email, patient.phone
        try:
            with transaction.atomic():
                entry.save(update_fields=["patient_name", "email", "phone", "updated_at"])
        except IntegrityError:
            # The new address already waits for this treatment: that place is kept.
            continue
    return patient


@transaction.atomic
def patients_merge(*, keep_id: int, merge_ids: Iterable[int]) -> Patient:
    """Fold duplicate records into one: their appointments move to the kept patient.

    The kept record's own details win; its gaps are filled from the others
    (most recently updated first) and staff notes are joined. The merged
    records are then deleted. Merging a possible match into the record it
    matches is how front desk says they are one person.
    """
    others_ids = sorted(set(merge_ids) - {keep_id})
    if not others_ids:
        raise BookingError("Choose at least two patients to merge.")
    rows = Patient.objects.select_for_update().order_by("pk").in_bulk([keep_id, *others_ids])
    if len(rows) != len(others_ids) + 1:
        raise BookingError("One of these patients no longer exists. Reload the list.")
    if any(row.anonymised_at is not None for row in rows.values()):
        raise BookingError("Anonymised patients cannot be merged.")
    keep = rows[keep_id]
    others = sorted((rows[pk] for pk in others_ids), key=lambda p: p.updated_at, reverse=True)

    AppointmentRequest.objects.filter(patient_id__in=others_ids).update(patient=keep)
    WaitlistEntry.objects.filter(patient_id__in=others_ids).update(patient=keep)
    notes = [keep.notes.strip()] if keep.notes.strip() else []
    for other in others:
        if not keep.email and other.email:
            keep.email = other.email
        if not keep.phone and other.phone:
            keep.phone, keep.phone_key = other.phone, other.phone_key
        if keep.date_of_birth is None:
            keep.date_of_birth = other.date_of_birth
        if other.notes.strip() and other.notes.strip() not in notes:
            notes.append(other.notes.strip())
    keep.notes = "\n\n".join(notes)
    if keep.possible_match_id in others_ids:
        keep.possible_match = None
    keep.save()
    # Records that pointed at a merged one now point at the record kept.
    Patient.objects.filter(possible_match_id__in=others_ids).exclude(pk=keep.pk).update(
        possible_match=keep
    )
    Patient.objects.filter(pk__in=others_ids).delete()
    return keep


@transaction.atomic
def patient_match_dismiss(*, patient_id: int) -> Patient:
    """Front desk compared the two records: they are different people."""
    patient = Patient.objects.select_for_update().get(pk=patient_id)
    if patient.possible_match_id is not None:
        patient.possible_match = None
        patient.save(update_fields=["possible_match", "updated_at"])
    return patient


@transaction.atomic
def patient_anonymise(*, patient_id: int, now: datetime) -> Patient:
    """Erase one patient's personal details, on their record and every appointment.

    Times, treatments and outcomes stay for the statistics, as with the
    retention job. A patient with an appointment still ahead is refused: cancel
    it first, so that nobody is expected at the clinic under a blank name.
    """
    patient = Patient.objects.select_for_update().get(pk=patient_id)
    if patient.anonymised_at is not None:
        return patient
    ahead = patient.appointments.active().filter(ends_at__gt=now).count()
    if ahead:
        raise BookingError(
            f"{patient.name} has {ahead} appointment{'s' if ahead > 1 else ''} still ahead. "
            "Cancel them first, then anonymise."
        )
    ids = list(
        patient.appointments.select_for_update()
        .filter(anonymised_at__isnull=True)
        .values_list("pk", flat=True)
    )
    _appointments_erase(ids=ids, now=now)
    _waitlist_erase(
        ids=list(
            patient.waitlist_entries.select_for_update()
            .filter(anonymised_at__isnull=True)
            .values_list("pk", flat=True)
        ),
        now=now,
    )
    if patient.email:
        Notification.objects.filter(
            kind=NotificationKind.BOOKING_LINKS, email=patient.email
        ).delete()
    _patients_erase(ids=[patient.pk], now=now)
    patient.refresh_from_db()
    return patient


# --- The practitioner's calendar feed ------------------------------------------------


@transaction.atomic
def practitioner_calendar_link_new(*, practitioner_id: int, now: datetime) -> str:
    """Make a new private feed token (the old link stops working); returns it once."""
    token = secrets.token_urlsafe(32)
    updated = Practitioner.objects.filter(pk=practitioner_id).update(
        calendar_token_hash=digest(token), calendar_token_created_at=now
    )
    if not updated:
        raise BookingError("That practitioner no longer exists.")
    return token


@transaction.atomic
def practitioner_calendar_link_remove(*, practitioner_id: int) -> None:
    """Switch the practitioner's calendar feed off."""
    Practitioner.objects.filter(pk=practitioner_id).update(
        calendar_token_hash="", calendar_token_created_at=None
    )
