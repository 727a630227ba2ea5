"""Queueing e-mails about appointments.

Services call queue_notification() inside their transaction: the Notification
row commits with the change it announces, and the send is enqueued only after
the commit, so a mail failure can never lose or roll back a booking.

Two cron-friendly safety nets live here too: reminders_queue() (run by
`manage.py send_reminders`) and notifications_requeue() (run by
`manage.py retry_notifications`), which re-enqueues e-mails whose task went
missing, for example when the task queue itself was unreachable.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.tasks import TaskResultStatus

from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    IntakeInvitation,
    Notification,
    NotificationKind,
    NotificationStatus,
    WaitlistEntry,
    WaitlistOffer,
)
from booking.tasks import enqueue_send, send_notification

logger = logging.getLogger(__name__)

TASK_PATH = "booking.tasks.send_notification"

# No send runs this long (SMTP_TIMEOUT is seconds): a task "running" longer died.
STALLED_TASK_AFTER = timedelta(minutes=30)


def queue_notification(
    *,
    kind: NotificationKind,
    appointment: AppointmentRequest | None = None,
    entry: WaitlistEntry | None = None,
    offer: WaitlistOffer | None = None,
    email: str = "",
) -> Notification:
    """Record one e-mail with the change it announces; send it after the commit.

    An e-mail is about an appointment, a waitlist entry, an offer, or (the
    links of "find my booking") an address; the database checks that the
    kind and what it is about agree.
    """
    about = appointment or offer
    notification = Notification.objects.create(
        appointment=appointment,
        waitlist_entry=entry,
        offer=offer,
        email=email,
        kind=kind,
        for_starts_at=about.starts_at if about is not None else None,
    )
    pk = notification.pk
    # robust: the booking has committed; if the queue is unreachable the page
    # still succeeds and `retry_notifications` picks the e-mail up later.
    transaction.on_commit(lambda: enqueue_send(notification_id=pk), robust=True)
    return notification


def queue_offer_notifications(offers: list[WaitlistOffer]) -> list[Notification]:
    """One offer e-mail per offer, written in one statement; each sent after the commit."""
    notifications = Notification.objects.bulk_create(
        Notification(
            offer=offer, kind=NotificationKind.WAITLIST_OFFER, for_starts_at=offer.starts_at
        )
        for offer in offers
    )
    for notification in notifications:
        pk = notification.pk
        transaction.on_commit(lambda pk=pk: enqueue_send(notification_id=pk), robust=True)
    return notifications


@transaction.atomic
def notification_resend(*, notification_id: int) -> Notification:
    """Give a failed or given-up e-mail a fresh set of attempts (a staff action)."""
    notification = Notification.objects.select_for_update().get(pk=notification_id)
    if notification.status in {NotificationStatus.FAILED, NotificationStatus.GAVE_UP}:
        notification.status = NotificationStatus.QUEUED
        notification.attempts = 0
        notification.save(update_fields=["status", "attempts"])
        transaction.on_commit(lambda: enqueue_send(notification_id=notification_id), robust=True)
    return notification


def reminders_queue(*, now: datetime) -> list[Notification]:
    """Queue a reminder for every confirmed appointment starting within the window.

    Idempotent and safe to run concurrently: the database allows one reminder
    per appointment and start time, so a second run (or a parallel one) adds
    nothing. A moved appointment has a new start time and so gets a reminder
    for it; the reminder for the old time is skipped when it is delivered.
    Requested (unconfirmed) appointments get none: their time is not promised yet.
    """
    window_end = now + timedelta(hours=settings.BOOKING_REMINDER_HOURS)
    due = (
        AppointmentRequest.objects.filter(
            status=AppointmentStatus.CONFIRMED, starts_at__gt=now, starts_at__lte=window_end
        )
        .exclude(
            Exists(
                Notification.objects.filter(
                    appointment=OuterRef("pk"),
                    kind=NotificationKind.REMINDER,
                    for_starts_at=OuterRef("starts_at"),
                )
            )
        )
        .order_by("starts_at")
    )
    return _queue_each(due, kind=NotificationKind.REMINDER)


def _queue_each(appointments, *, kind: str) -> list[Notification]:
    """Queue one e-mail of this kind for each appointment; one a parallel run queued a
    moment ago (the database allows it once) is left to that run."""
    queued = []
    for appointment in appointments:
        try:
            with transaction.atomic():
                queued.append(queue_notification(appointment=appointment, kind=kind))
        except IntegrityError:
            continue
    return queued


def forms_reminders_queue(*, now: datetime) -> list[Notification]:
    """Ask once more for the pre-visit forms still missing, INTAKE_REMINDER_DAYS ahead.

    For requested and confirmed appointments starting within the window that
    have a form not filled in. Idempotent like reminders_queue: the database
    allows one such e-mail per appointment. 0 days turns it off.
    """
    days = settings.INTAKE_REMINDER_DAYS
    if days <= 0:
        return []
    due = (
        AppointmentRequest.objects.filter(
            status__in=[AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED],
            starts_at__gt=now,
            starts_at__lte=now + timedelta(days=days),
            anonymised_at__isnull=True,
        )
        .exclude(email="")
        .filter(
            Exists(
                IntakeInvitation.objects.filter(
                    appointment=OuterRef("pk"), answered_at__isnull=True
                )
            )
        )
        .exclude(
            Exists(
                Notification.objects.filter(
                    appointment=OuterRef("pk"), kind=NotificationKind.FORMS_REMINDER
                )
            )
        )
        .order_by("starts_at")
    )
    return _queue_each(due, kind=NotificationKind.FORMS_REMINDER)


def notifications_requeue(*, now: datetime, older_than: timedelta) -> list[int]:
    """Re-enqueue e-mails that are waiting to be sent but have no task on the queue.

    With the database task backend, an e-mail with a pending task (including a
    retry scheduled for later) is left alone; without it every waiting e-mail
    older than `older_than` is enqueued again. Sending twice is impossible
    either way: delivery locks the row and only sends a waiting e-mail once.
    """
    waiting = Notification.objects.filter(
        status__in=[NotificationStatus.QUEUED, NotificationStatus.FAILED],
        created_at__lte=now - older_than,
    )
    pending = _pending_notification_ids(now=now)
    if pending is not None:
        waiting = waiting.exclude(pk__in=pending)
    ids = list(waiting.values_list("pk", flat=True))
    for pk in ids:
        enqueue_send(notification_id=pk)
    return ids


def _pending_notification_ids(*, now: datetime) -> set[int] | None:
    """Notification ids with a send task still to run, or None if the backend cannot tell.

    A task marked running for longer than any send can take belongs to a
    worker that died mid-task; it does not count.
    """
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = send_notification.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return None
    rows = (
        DBTaskResult.objects.filter(
            backend_name=backend.alias,
            task_path=TASK_PATH,
        )
        .filter(
            Q(status=TaskResultStatus.READY)
            | Q(status=TaskResultStatus.RUNNING, started_at__gt=now - STALLED_TASK_AFTER)
        )
        .values_list("args_kwargs", flat=True)
    )
    return {
        row["kwargs"]["notification_id"]
        for row in rows
        if isinstance(row, dict) and "notification_id" in row.get("kwargs", {})
    }
