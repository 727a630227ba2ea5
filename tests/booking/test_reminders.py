import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from booking.emails import deliver_notification
from booking.models import AppointmentStatus, Notification, NotificationKind, NotificationStatus
from booking.notifications import reminders_queue

NOW = datetime(2027, 6, 30, 12, 0, tzinfo=UTC)


def reminders():
    return Notification.objects.filter(kind=NotificationKind.REMINDER)


def move(appointment, *, to):
    length = appointment.ends_at - appointment.starts_at
    held = appointment.occupied_until - appointment.starts_at
    appointment.starts_at = to
    appointment.ends_at = to + length
    appointment.occupied_until = to + held
    appointment.save()


@pytest.fixture
def confirmed(appointment_factory):
    def make(starts_at, **fields):
        fields.setdefault("status", AppointmentStatus.CONFIRMED)
        return appointment_factory(starts_at=starts_at, **fields)

    return make


def test_confirmed_appointment_within_the_window_gets_a_reminder_for_its_start(confirmed):
    appointment = confirmed(NOW + timedelta(hours=20))

    queued = reminders_queue(now=NOW)

    assert [(n.appointment_id, n.for_starts_at) for n in queued] == [
        (appointment.pk, appointment.starts_at)
    ]
    assert queued[0].status == NotificationStatus.QUEUED


def test_appointment_exactly_at_the_window_edge_is_reminded(confirmed, settings):
    settings.BOOKING_REMINDER_HOURS = 24
    confirmed(NOW + timedelta(hours=24))

    assert len(reminders_queue(now=NOW)) == 1


def test_appointment_beyond_the_window_is_not_reminded_yet(confirmed):
    confirmed(NOW + timedelta(hours=24, minutes=1))

    assert reminders_queue(now=NOW) == []


@pytest.mark.parametrize(
    "status",
    [
        AppointmentStatus.REQUESTED,
        AppointmentStatus.CANCELLED_BY_PATIENT,
        AppointmentStatus.CANCELLED_BY_CLINIC,
        AppointmentStatus.DECLINED,
    ],
)
def test_appointment_that_is_not_confirmed_gets_no_reminder(confirmed, status):
    confirmed(NOW + timedelta(hours=3), status=status)

    assert reminders_queue(now=NOW) == []


def test_appointment_that_has_started_gets_no_reminder(confirmed):
    confirmed(NOW - timedelta(minutes=1))

    assert reminders_queue(now=NOW) == []


def test_second_run_queues_nothing_more(confirmed):
    confirmed(NOW + timedelta(hours=5))

    reminders_queue(now=NOW)
    second = reminders_queue(now=NOW + timedelta(minutes=15))

    assert second == []
    assert reminders().count() == 1


def test_command_run_twice_queues_one_reminder(confirmed):
    appointment = confirmed(timezone.now() + timedelta(hours=2))

    first, second = StringIO(), StringIO()
    call_command("send_reminders", stdout=first)
    call_command("send_reminders", stdout=second)

    assert reminders().get().appointment == appointment
    assert f"Reminders queued: 1 ({appointment.reference})" in first.getvalue()
    assert "Reminders queued: 0." in second.getvalue()


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_queue_one_reminder(confirmed):
    confirmed(NOW + timedelta(hours=5))
    start = threading.Barrier(3)
    errors = []

    def run():
        try:
            start.wait(timeout=10)
            reminders_queue(now=NOW)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert reminders().count() == 1


def test_moved_appointment_gets_a_reminder_for_its_new_time_only(confirmed, mailoutbox):
    appointment = confirmed(NOW + timedelta(hours=6))
    [old] = reminders_queue(now=NOW)
    move(appointment, to=NOW + timedelta(hours=10))

    [new] = reminders_queue(now=NOW)
    deliver_notification(notification_id=old.pk, now=NOW)
    deliver_notification(notification_id=new.pk, now=NOW)

    old.refresh_from_db()
    new.refresh_from_db()
    assert new.for_starts_at == NOW + timedelta(hours=10)
    assert old.status == NotificationStatus.SKIPPED
    assert new.status == NotificationStatus.SENT
    assert len(mailoutbox) == 1
    assert "at 23:00" in mailoutbox[0].subject  # 22:00 UTC is 23:00 in London in June


def test_appointment_moved_out_of_the_window_gets_no_new_reminder_yet(confirmed):
    appointment = confirmed(NOW + timedelta(hours=6))
    reminders_queue(now=NOW)
    move(appointment, to=NOW + timedelta(days=5))

    assert reminders_queue(now=NOW) == []


def test_appointment_cancelled_after_its_reminder_was_queued_gets_no_email(confirmed, mailoutbox):
    appointment = confirmed(NOW + timedelta(hours=6))
    [reminder] = reminders_queue(now=NOW)
    appointment.status = AppointmentStatus.CANCELLED_BY_PATIENT
    appointment.save()

    deliver_notification(notification_id=reminder.pk, now=NOW)

    reminder.refresh_from_db()
    assert reminder.status == NotificationStatus.SKIPPED
    assert mailoutbox == []
