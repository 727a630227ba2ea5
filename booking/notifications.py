"""Queueing e-mails about appointments.

Services call queue_notification() inside their transaction: the Notification
row commits with the change it announces, and the send is enqueued only after
the commit, so a mail failure can never lose or roll back a booking.
"""

from django.db import transaction

from booking.models import AppointmentRequest, Notification, NotificationKind


def queue_notification(*, appointment: AppointmentRequest, kind: NotificationKind) -> Notification:
    notification = Notification.objects.create(
        appointment=appointment, kind=kind, for_starts_at=appointment.starts_at
    )
    transaction.on_commit(lambda: _enqueue(notification.pk))
    return notification


def _enqueue(notification_id: int) -> None:
    from booking.tasks import send_notification

    send_notification.enqueue(notification_id=notification_id)
