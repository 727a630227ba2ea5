"""Appointment statuses: which changes are allowed and when, and making them."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from booking import signals
from booking.availability import (
    clinic_zone,
)
from booking.caching import on_commit_availability_changed
from booking.errors import (
    InvalidTransitionError,
    SlotTakenError,
)
from booking.models import (
    ACTIVE_STATUSES,
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    NotificationKind,
    StatusChangeKind,
)
from booking.notifications import queue_notification

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
    kind: str = StatusChangeKind.CHANGE,
    undoes: AppointmentStatusChange | None = None,
) -> AppointmentStatusChange:
    """Write the history line for a status change (also for a new appointment)."""
    return AppointmentStatusChange.objects.create(
        appointment=appointment,
        from_status=from_status,
        to_status=to_status,
        changed_by=by if getattr(by, "is_authenticated", False) else None,
        changed_at=now,
        note=note[:500],
        kind=kind,
        undoes=undoes,
    )


# Changes whose note is the reason the patient is e-mailed: one is required.
NEEDS_REASON = {AppointmentStatus.DECLINED, AppointmentStatus.CANCELLED_BY_CLINIC}


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

    A session of a course that is a request is confirmed or declined with
    every other requested session of the course, one history line each and
    one e-mail for the course. The returned appointment's `changed_together`
    lists every appointment changed (itself alone, outside a course).
    """
    course_id = (
        AppointmentRequest.objects.filter(pk=appointment_id)
        .values_list("course_id", flat=True)
        .first()
    )
    if course_id is not None:
        # A course's sessions are locked in one order, whichever one staff pressed.
        list(
            AppointmentRequest.objects.select_for_update()
            .filter(course_id=course_id)
            .order_by("course_session")
            .values_list("pk", flat=True)
        )
    appointment = (
        AppointmentRequest.objects.select_for_update()
        .select_related("treatment", "practitioner")
        .get(pk=appointment_id)
    )
    refusal = status_change_refusal(appointment=appointment, to_status=to_status, now=now)
    if not refusal and to_status == AppointmentStatus.CANCELLED_BY_CLINIC and not note.strip():
        refusal = (
            f"Appointment {appointment.reference} was not cancelled: give the patient a reason."
        )
    if refusal:
        raise InvalidTransitionError(refusal)
    together = _course_requests(appointment=appointment, to_status=to_status, now=now)
    for session in together:
        _write_status(session=session, to_status=to_status, now=now, by=by, note=note)
    if to_status not in ACTIVE_STATUSES:
        # Declined or cancelled time is free again: offer it at once.
        on_commit_availability_changed(appointment.practitioner_id)
    kind = NOTIFICATION_FOR_STATUS.get(to_status)
    if notify and kind is not None:
        # A course's request is answered in one e-mail, on its first session (listing all).
        queue_notification(appointment=together[0], kind=kind)
    appointment.changed_together = together
    return appointment


# Answers to a request that a course's requested sessions get together.
COURSE_WIDE = {AppointmentStatus.CONFIRMED, AppointmentStatus.DECLINED}


def _course_requests(
    *, appointment: AppointmentRequest, to_status: str, now: datetime
) -> list[AppointmentRequest]:
    """The appointments a change moves: this one, or every requested session of its course.

    A course is one request: confirming or declining one session answers them
    all. Each is locked (in session order, so two staff never deadlock) and
    re-checked; when one cannot be moved, none is.
    """
    if (
        appointment.course_id is None
        or appointment.status != AppointmentStatus.REQUESTED
        or to_status not in COURSE_WIDE
    ):
        return [appointment]
    sessions = list(
        AppointmentRequest.objects.select_related("treatment", "practitioner")
        .filter(course_id=appointment.course_id, status=AppointmentStatus.REQUESTED)
        .order_by("course_session")
    )
    for session in sessions:
        refusal = status_change_refusal(appointment=session, to_status=to_status, now=now)
        if refusal:
            raise InvalidTransitionError(
                f"{refusal} A course's requested sessions are answered together, so none was "
                "changed: cancel that session first, then answer the rest."
            )
    return [appointment if s.pk == appointment.pk else s for s in sessions]


def _write_status(
    *, session: AppointmentRequest, to_status: str, now: datetime, by, note: str
) -> None:
    """Save one appointment's new status, its history line, and free its time if it goes."""
    from_status = session.status
    session.status = to_status
    update_fields = ["status", "updated_at"]
    if to_status in NEEDS_REASON:
        session.decline_reason = note
        update_fields.append("decline_reason")
    session.save(update_fields=update_fields)
    status_change_record(
        appointment=session,
        from_status=from_status,
        to_status=to_status,
        now=now,
        by=by,
        note=note,
    )
    if to_status in FREES_TIME and session.starts_at > now:
        signals.time_freed.send(
            sender=None,
            practitioner_id=session.practitioner_id,
            starts_at=session.starts_at,
            ends_at=session.occupied_until,
        )


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
        kind=StatusChangeKind.ARRIVAL,
    )
    return appointment


# --- Undo and correction ------------------------------------------------------------


def undo_refusal(*, change: AppointmentStatusChange, now: datetime) -> str:
    """Why `change` cannot be undone at `now`, or "" when it can.

    Only the latest change of an appointment, made by staff, within
    BOOKING_UNDO_MINUTES; later on front desk corrects the status with a reason.
    """
    reference = change.appointment.reference
    window = timedelta(minutes=settings.BOOKING_UNDO_MINUTES)
    if change.kind not in (StatusChangeKind.CHANGE, StatusChangeKind.ARRIVAL):
        return f"That change of appointment {reference} cannot be undone."
    if change.changed_by_id is None:
        return (
            f"Appointment {reference} was changed by the patient or the system: correct it instead."
        )
    if hasattr(change, "undone_by"):
        return f"That change of appointment {reference} has been undone already."
    if now - change.changed_at > window:
        return (
            f"The change of appointment {reference} is older than "
            f"{settings.BOOKING_UNDO_MINUTES} minutes: correct the status instead, with a reason."
        )
    latest = change.appointment.status_changes.order_by("-changed_at", "-pk").first()
    if latest is not None and latest.pk != change.pk:
        return f"Appointment {reference} has changed again since: correct it instead."
    return ""


def _set_status(
    *, appointment: AppointmentRequest, to_status: str, now: datetime, **record
) -> AppointmentStatusChange:
    """Write a status outside the usual order (undo, correction); the database still judges.

    Back to an active status, the appointment needs its time again: the
    exclusion constraint refuses it if someone else has booked it meanwhile.
    """
    from_status = appointment.status
    appointment.status = to_status
    if to_status not in NEEDS_REASON:
        appointment.decline_reason = ""
    try:
        with transaction.atomic():
            appointment.save(update_fields=["status", "decline_reason", "updated_at"])
    except IntegrityError as error:
        label = AppointmentStatus(to_status).label.lower()
        raise SlotTakenError(
            f"Appointment {appointment.reference} cannot be {label} again: "
            "its time has been booked since."
        ) from error
    if (to_status in ACTIVE_STATUSES) != (from_status in ACTIVE_STATUSES):
        on_commit_availability_changed(appointment.practitioner_id)
    return status_change_record(
        appointment=appointment, from_status=from_status, to_status=to_status, now=now, **record
    )


@transaction.atomic
def status_change_undo(*, change_id: int, now: datetime, by) -> AppointmentStatusChange:
    """Put the appointment back as it was before `change_id`, and record the undo.

    An undone cancellation needs its time free, and the patient is told their
    appointment stands after all; an undone arrival clears the arrival time.
    """
    change = AppointmentStatusChange.objects.select_related("appointment").get(pk=change_id)
    appointment = (
        AppointmentRequest.objects.select_for_update()
        .select_related("treatment", "practitioner")
        .get(pk=change.appointment_id)
    )
    change.appointment = appointment
    refusal = undo_refusal(change=change, now=now)
    if refusal:
        raise InvalidTransitionError(refusal)
    if change.kind == StatusChangeKind.ARRIVAL:
        appointment.arrived_at = None
        appointment.save(update_fields=["arrived_at", "updated_at"])
        return status_change_record(
            appointment=appointment,
            from_status=appointment.status,
            to_status=appointment.status,
            now=now,
            by=by,
            note="Arrival undone",
            kind=StatusChangeKind.UNDO,
            undoes=change,
        )
    undo = _set_status(
        appointment=appointment,
        to_status=change.from_status,
        now=now,
        by=by,
        note=f"Undid: marked {AppointmentStatus(change.to_status).label.lower()}",
        kind=StatusChangeKind.UNDO,
        undoes=change,
    )
    if not _course_told_already(change=change):
        _tell_patient_it_stands(appointment=appointment, was=change.to_status)
    return undo


def _course_told_already(*, change: AppointmentStatusChange) -> bool:
    """Whether this change was course-wide and another session's undo has told the patient.

    A course answered together is undone session by session (each has its own
    history); the patient hears once that the course stands after all.
    """
    appointment = change.appointment
    if appointment.course_id is None:
        return False
    return (
        AppointmentStatusChange.objects.filter(
            appointment__course_id=appointment.course_id,
            changed_at=change.changed_at,
            to_status=change.to_status,
            kind=StatusChangeKind.CHANGE,
            undone_by__isnull=False,
        )
        .exclude(pk=change.pk)
        .exists()
    )


def _tell_patient_it_stands(*, appointment: AppointmentRequest, was: str) -> None:
    """A patient e-mailed a cancellation or decline hears that the appointment stands."""
    if was in FREES_TIME and appointment.status in ACTIVE_STATUSES:
        kind = (
            NotificationKind.CONFIRMED
            if appointment.status == AppointmentStatus.CONFIRMED
            else NotificationKind.REQUEST_RECEIVED
        )
        queue_notification(appointment=appointment, kind=kind)


# Statuses front desk may correct an appointment to, once it has started.
CORRECTABLE = {
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED_BY_PATIENT,
    AppointmentStatus.CANCELLED_BY_CLINIC,
}


def correction_refusal(*, appointment: AppointmentRequest, to_status: str, now: datetime) -> str:
    """Why front desk cannot correct `appointment` to `to_status`, or "" when it can."""
    reference = appointment.reference
    if to_status not in CORRECTABLE:
        return f"Appointment {reference} cannot be corrected to that status."
    if to_status == appointment.status:
        return f"Appointment {reference} is {appointment.get_status_display().lower()} already."
    if to_status in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW) and (
        appointment.starts_at > now
    ):
        return (
            f"Appointment {reference} has not started yet, so it cannot be marked "
            f"{AppointmentStatus(to_status).label.lower()}."
        )
    return ""


@transaction.atomic
def appointment_correct_status(
    *, appointment_id: int, to_status: str, reason: str, now: datetime, by
) -> AppointmentStatusChange:
    """Front desk puts a status right after the fact, with the reason, without e-mailing anyone.

    Used when the undo has run out: a no-show who came after all, a completed
    visit that was cancelled. The history keeps both the mistake and the fix.
    """
    appointment = (
        AppointmentRequest.objects.select_for_update()
        .select_related("treatment", "practitioner")
        .get(pk=appointment_id)
    )
    refusal = correction_refusal(appointment=appointment, to_status=to_status, now=now)
    if not refusal and not reason.strip():
        refusal = f"Appointment {appointment.reference} was not corrected: give a reason."
    if refusal:
        raise InvalidTransitionError(refusal)
    if to_status == AppointmentStatus.NO_SHOW and appointment.arrived_at is not None:
        appointment.arrived_at = None
        appointment.save(update_fields=["arrived_at", "updated_at"])
    return _set_status(
        appointment=appointment,
        to_status=to_status,
        now=now,
        by=by,
        note=reason.strip(),
        kind=StatusChangeKind.CORRECTION,
    )
