"""Background tasks, run by `manage.py db_worker`."""

from django.tasks import task


@task
def send_notification(*, notification_id: int) -> None:
    # Implemented by booking.emails (render, attach .ics, send, record the outcome).
    from booking.emails import deliver_notification

    deliver_notification(notification_id=notification_id)
