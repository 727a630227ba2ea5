"""Appointment statuses: which changes are allowed and when, and making them."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from booking import signals
from booking.availability import (
    clinic_zone,
)
from booking.caching import availability_changed
from booking.errors import (
    InvalidTransitionError,
)
from booking.models import (
    ACTIVE_STATUSES,
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    NotificationKind,
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
