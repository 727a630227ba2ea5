"""Background tasks, run by `manage.py db_worker`, and how they are put on the queue.

booking.emails renders and sends one e-mail and records the outcome on its
row; it knows nothing of the queue. This module runs it from the queue and,
after a failed try that will be tried again, queues the next one.
"""

from datetime import datetime

from django.tasks import task
from django.utils import timezone

from booking.emails import deliver_notification, next_try_at
from booking.models import Notification, NotificationStatus


class EmailNotSent(Exception):
    """The e-mail failed this time; its Notification row records why and what happens next."""


def enqueue_send(*, notification_id: int, run_after: datetime | None = None) -> None:
    """Put one send on the task queue, now or after run_after.

    A backend that cannot defer (such as the immediate one) gets no delayed
    retry: `retry_notifications` re-enqueues those e-mails instead.
    """
    queued = send_notification
    if run_after is not None:
        if not queued.get_backend().supports_defer:
            return
        queued = queued.using(run_after=run_after)
    queued.enqueue(notification_id=notification_id)


def notification_send(*, notification_id: int, now: datetime) -> Notification | None:
    """Try to send one e-mail; when the try failed and another is due, queue it."""
    notification = deliver_notification(notification_id=notification_id, now=now)
    if notification is not None and notification.status == NotificationStatus.FAILED:
        enqueue_send(
            notification_id=notification_id,
            run_after=next_try_at(attempts=notification.attempts, now=now),
        )
    return notification


@task
def send_notification(*, notification_id: int) -> dict:
    """Send one queued e-mail (booking.emails.deliver_notification does the work).

    The Notification row is the record staff read. A failed send is recorded
    there and its retry scheduled before this raises, so the task result shows
    the failure too without anything being lost.
    """
    notification = notification_send(notification_id=notification_id, now=timezone.now())
    if notification is None:
        return {"notification": notification_id, "status": "nothing to do"}
    if notification.status in {NotificationStatus.FAILED, NotificationStatus.GAVE_UP}:
        raise EmailNotSent(
            f"E-mail {notification_id} ({notification.kind}), attempt {notification.attempts},"
            f" now {notification.status}: {notification.last_error}"
        )
    return {"notification": notification_id, "status": notification.status}
