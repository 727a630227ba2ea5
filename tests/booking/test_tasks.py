import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from booking.emails import deliver_notification, retry_delay
from booking.models import AppointmentRequest, AppointmentStatus, Notification, NotificationKind
from booking.models import NotificationStatus as Status
from booking.notifications import (
    TASK_PATH,
    enqueue_send,
    notification_resend,
    queue_notification,
)
from booking.services import appointment_change_status
from booking.tasks import notification_send

Kind = NotificationKind
NOW = datetime(2027, 6, 20, 12, 0, tzinfo=UTC)
STARTS = datetime(2027, 7, 1, 8, 30, tzinfo=UTC)


def run_worker() -> None:
    """What `manage.py db_worker` does, once: run every task that is due, then stop."""
    call_command(
        "db_worker",
        "--batch",
        "--no-startup-delay",
        "--interval=0",
        "--no-reload",
        verbosity=0,
        stdout=StringIO(),
    )


def send_tasks(notification_id: int):
    return DBTaskResult.objects.filter(
        task_path=TASK_PATH, args_kwargs__kwargs__notification_id=notification_id
    )


# --- Through the real database queue and its worker -------------------------


@pytest.mark.django_db(transaction=True)
def test_confirmation_is_queued_after_commit_and_the_worker_sends_it(
    appointment_factory, mailoutbox
):
    appointment = appointment_factory(starts_at=timezone.now() + timedelta(days=3))

    appointment_change_status(
        appointment_id=appointment.pk, to_status=AppointmentStatus.CONFIRMED, now=timezone.now()
    )
    run_worker()

    notification = Notification.objects.get(appointment=appointment, kind=Kind.CONFIRMED)
    assert notification.status == Status.SENT
    assert [m.subject.split(":")[0] for m in mailoutbox] == ["Confirmed"]


@pytest.mark.django_db(transaction=True)
def test_mail_outage_keeps_the_booking_and_a_later_run_sends_the_email(
    appointment_factory, mailoutbox, mail_outage
):
    appointment = appointment_factory(starts_at=timezone.now() + timedelta(days=3))

    appointment_change_status(
        appointment_id=appointment.pk, to_status=AppointmentStatus.CONFIRMED, now=timezone.now()
    )
    run_worker()

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    notification = Notification.objects.get(appointment=appointment, kind=Kind.CONFIRMED)
    assert notification.status == Status.FAILED
    assert notification.attempts == 1
    assert "SMTPServerDisconnected" in notification.last_error
    retry = send_tasks(notification.pk).get(status=TaskResultStatus.READY)
    assert retry.run_after > timezone.now() + timedelta(minutes=4)
    assert mailoutbox == []

    # The server is back and the retry's time has come.
    mail_outage.end()
    send_tasks(notification.pk).filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()

    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert notification.attempts == 2
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_failed_send_also_shows_as_a_failed_task_result(appointment_factory, mail_outage):
    appointment = appointment_factory(starts_at=timezone.now() + timedelta(days=3))
    with transaction.atomic():
        notification = queue_notification(appointment=appointment, kind=Kind.REQUEST_RECEIVED)

    run_worker()

    first = send_tasks(notification.pk).get(status=TaskResultStatus.FAILED)
    assert first.exception_class_path == "booking.tasks.EmailNotSent"


@pytest.mark.django_db(transaction=True)
def test_committed_notification_is_enqueued(appointment_factory):
    appointment = appointment_factory(starts_at=STARTS)

    with transaction.atomic():
        notification = queue_notification(appointment=appointment, kind=Kind.CONFIRMED)

    assert send_tasks(notification.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_enqueues_nothing(appointment_factory):
    appointment = appointment_factory(starts_at=STARTS)

    with pytest.raises(RuntimeError), transaction.atomic():
        queue_notification(appointment=appointment, kind=Kind.CONFIRMED)
        raise RuntimeError("the booking failed after queueing its e-mail")

    assert Notification.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_email_locked_by_another_worker_is_left_to_it(appointment_factory, mailoutbox):
    appointment = appointment_factory(starts_at=STARTS)
    notification = queue_notification(appointment=appointment, kind=Kind.CONFIRMED)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=notification.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        result = deliver_notification(notification_id=notification.pk, now=NOW)
    finally:
        release.set()
        thread.join()

    assert result is None
    assert mailoutbox == []


# --- Retries, step by step --------------------------------------------------


@pytest.fixture
def notification(appointment_factory):
    appointment = appointment_factory(starts_at=STARTS, status=AppointmentStatus.CONFIRMED)
    return queue_notification(appointment=appointment, kind=Kind.CONFIRMED)


def test_failed_send_records_the_error_and_schedules_a_retry_after_the_base_delay(
    notification, mail_outage, settings, django_capture_on_commit_callbacks
):
    settings.BOOKING_EMAIL_RETRY_SECONDS = 300

    with django_capture_on_commit_callbacks(execute=True):
        notification_send(notification_id=notification.pk, now=NOW)

    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    assert notification.attempts == 1
    assert notification.sent_at is None
    [retry] = send_tasks(notification.pk)
    assert retry.run_after == NOW + timedelta(minutes=5)


def test_retry_delay_doubles_with_each_failure_up_to_six_hours(settings):
    settings.BOOKING_EMAIL_RETRY_SECONDS = 300

    delays = [retry_delay(attempts=n) for n in (1, 2, 3, 4, 10)]

    assert delays == [
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=20),
        timedelta(minutes=40),
        timedelta(hours=6),
    ]


def test_email_gives_up_after_the_maximum_attempts_without_another_retry(
    notification, mail_outage, settings, django_capture_on_commit_callbacks
):
    settings.BOOKING_EMAIL_MAX_ATTEMPTS = 3

    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            notification_send(notification_id=notification.pk, now=NOW)

    notification.refresh_from_db()
    assert notification.status == Status.GAVE_UP
    assert notification.attempts == 3
    assert send_tasks(notification.pk).count() == 2  # retries after tries 1 and 2 only
    assert deliver_notification(notification_id=notification.pk, now=NOW) is None


def test_staff_resend_gives_a_given_up_email_fresh_attempts(
    notification, mail_outage, settings, mailoutbox
):
    settings.BOOKING_EMAIL_MAX_ATTEMPTS = 1
    deliver_notification(notification_id=notification.pk, now=NOW)
    mail_outage.end()

    notification_resend(notification_id=notification.pk)
    deliver_notification(notification_id=notification.pk, now=NOW)

    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert len(mailoutbox) == 1


def test_appointment_survives_a_failed_send(notification, mail_outage):
    deliver_notification(notification_id=notification.pk, now=NOW)

    assert AppointmentRequest.objects.filter(pk=notification.appointment_id).exists()


# --- The cron safety net -----------------------------------------------------


def test_retry_command_enqueues_a_waiting_email_that_has_no_task(notification):
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )

    call_command("retry_notifications", stdout=StringIO())

    assert send_tasks(notification.pk).filter(status=TaskResultStatus.READY).count() == 1


def test_retry_command_leaves_an_email_with_a_scheduled_retry_alone(
    notification, mail_outage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(notification_id=notification.pk, now=timezone.now())
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )

    call_command("retry_notifications", stdout=StringIO())

    assert send_tasks(notification.pk).count() == 1


def test_retry_command_leaves_fresh_and_sent_emails_alone(notification, appointment_factory):
    sent = queue_notification(
        appointment=appointment_factory(starts_at=STARTS), kind=Kind.CANCELLED
    )
    Notification.objects.filter(pk=sent.pk).update(
        status=Status.SENT, created_at=timezone.now() - timedelta(hours=1)
    )

    call_command("retry_notifications", stdout=StringIO())

    assert DBTaskResult.objects.count() == 0


def test_retry_command_re_enqueues_an_email_whose_worker_died_mid_send(notification):
    enqueue_send(notification_id=notification.pk)
    send_tasks(notification.pk).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=2)
    )
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(hours=3)
    )

    call_command("retry_notifications", stdout=StringIO())

    assert send_tasks(notification.pk).filter(status=TaskResultStatus.READY).count() == 1


@pytest.mark.django_db(transaction=True)
def test_with_the_immediate_backend_a_failed_send_waits_for_the_retry_command(
    appointment_factory, mail_outage, mailoutbox, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    appointment = appointment_factory(starts_at=timezone.now() + timedelta(days=3))

    with transaction.atomic():
        notification = queue_notification(appointment=appointment, kind=Kind.REQUEST_RECEIVED)

    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    mail_outage.end()
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    call_command("retry_notifications", stdout=StringIO())

    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert len(mailoutbox) == 1
