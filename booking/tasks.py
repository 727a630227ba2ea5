"""Background tasks, run by `manage.py db_worker`."""

from django.tasks import task

from booking.models import NotificationStatus


class EmailNotSent(Exception):
    """The e-mail failed this time; its Notification row records why and what happens next."""


@task
def send_notification(*, notification_id: int) -> dict:
    """Send one queued e-mail (booking.emails.deliver_notification does the work).

    The Notification row is the record staff read. A failed send is recorded
    there and its retry scheduled before this raises, so the task result shows
    the failure too without anything being lost.
    """
    from booking.emails import deliver_notification

    notification = deliver_notification(notification_id=notification_id)
    if notification is None:
        return {"notification": notification_id, "status": "nothing to do"}
    if notification.status in {NotificationStatus.FAILED, NotificationStatus.GAVE_UP}:
        raise EmailNotSent(
            f"E-mail {notification_id} ({notification.kind}), attempt {notification.attempts},"
            f" now {notification.status}: {notification.last_error}"
        )
    return {"notification": notification_id, "status": notification.status}
