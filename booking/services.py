"""Every write that matters in booking: one transaction each, `now` passed in."""

from datetime import datetime

from django.db import transaction

from booking.errors import InvalidTransitionError
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    NotificationKind,
)
from booking.notifications import queue_notification

S = AppointmentStatus

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.REQUESTED: {S.CONFIRMED, S.DECLINED, S.CANCELLED_BY_PATIENT, S.CANCELLED_BY_CLINIC},
    S.CONFIRMED: {S.COMPLETED, S.NO_SHOW, S.CANCELLED_BY_PATIENT, S.CANCELLED_BY_CLINIC},
    S.COMPLETED: set(),
    S.NO_SHOW: set(),
    S.DECLINED: set(),
    S.CANCELLED_BY_PATIENT: set(),
    S.CANCELLED_BY_CLINIC: set(),
}

# The e-mail the patient gets when an appointment reaches a status.
NOTIFICATION_FOR_STATUS = {
    S.CONFIRMED: NotificationKind.CONFIRMED,
    S.DECLINED: NotificationKind.DECLINED,
    S.CANCELLED_BY_PATIENT: NotificationKind.CANCELLED,
    S.CANCELLED_BY_CLINIC: NotificationKind.CANCELLED,
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
    if to_status not in ALLOWED_TRANSITIONS.get(from_status, set()):
        raise InvalidTransitionError(
            f"Appointment {appointment.reference} is {appointment.get_status_display().lower()}"
            f" and cannot be marked {S(to_status).label.lower()}."
        )
    appointment.status = to_status
    update_fields = ["status", "updated_at"]
    if to_status == S.DECLINED:
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
    kind = NOTIFICATION_FOR_STATUS.get(to_status)
    if notify and kind is not None:
        queue_notification(appointment=appointment, kind=kind)
    return appointment


# --- Staff workspace (admin) services go below this line. ---
