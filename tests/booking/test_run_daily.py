"""`manage.py run_daily`: every scheduled job, idempotent, one run at a time."""

from datetime import time, timedelta
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from booking.locks import Lock
from booking.management.commands import run_daily
from booking.models import (
    AppointmentStatus,
    Notification,
    NotificationKind,
    RateLimitCounter,
    TimeSlot,
    WeeklyAvailability,
)
from tests.booking.conftest import make_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def diary(clinic, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    now = timezone.now()
    soon = make_appointment(starts_at=now + timedelta(hours=20), status=AppointmentStatus.CONFIRMED)
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            practitioner=soon.practitioner, weekday=weekday, starts_at=time(9), ends_at=time(17)
        )
    old = make_appointment(
        starts_at=now - timedelta(days=settings.BOOKING_RETENTION_DAYS + 2),
        practitioner=soon.practitioner,
    )
    orphan = Notification.objects.create(
        appointment=soon, kind=NotificationKind.CONFIRMED, for_starts_at=soon.starts_at
    )
    Notification.objects.filter(pk=orphan.pk).update(created_at=now - timedelta(hours=1))
    RateLimitCounter.objects.create(key="ended", count=3, window_ends_at=now - timedelta(hours=1))
    RateLimitCounter.objects.create(key="live", count=1, window_ends_at=now + timedelta(hours=1))
    return soon, old


def run() -> str:
    out = StringIO()
    call_command("run_daily", stdout=out)
    return out.getvalue()


def test_run_daily_runs_every_job(diary):
    soon, old = diary

    output = run()

    assert TimeSlot.objects.filter(practitioner=soon.practitioner).count() >= 50
    assert Notification.objects.filter(appointment=soon, kind=NotificationKind.REMINDER).exists()
    assert "1 e-mails re-enqueued" in output
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["live"]
    old.refresh_from_db()
    assert old.anonymised_at is not None
    assert "1 appointments older than" in output


def test_a_second_run_changes_nothing(diary):
    run()
    slots = set(TimeSlot.objects.values_list("pk", "starts_at", "ends_at"))
    notifications = Notification.objects.count()

    output = run()

    assert set(TimeSlot.objects.values_list("pk", "starts_at", "ends_at")) == slots
    assert Notification.objects.count() == notifications
    assert "0 slots created" in output
    assert "0 reminders queued" in output
    assert "0 appointments older than" in output


def test_a_run_while_another_holds_the_lock_does_nothing(diary):
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**{k: v for k, v in params.items() if k != "pool"}) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [int(Lock.RUN_DAILY)])
        output = run()
    assert output.strip() == "Another run_daily is running; nothing to do."
    assert not TimeSlot.objects.exists()


def test_a_failing_job_does_not_stop_the_others(diary, monkeypatch):
    def broken(now):
        raise RuntimeError("slot generation is broken")

    monkeypatch.setitem(run_daily.JOBS, "slots", broken)
    with pytest.raises(CommandError, match="These jobs failed: slots"):
        run()
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["live"]
    # The lock is released: the next run goes ahead.
    monkeypatch.setitem(run_daily.JOBS, "slots", lambda now: "skipped in this test")
    assert "skipped in this test" in run()


def test_run_daily_deletes_expired_sessions_and_keeps_live_ones(clinic):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    ended, live = SessionStore(), SessionStore()
    for store in (ended, live):
        store["draft"] = "typed details"
        store.save()
    Session.objects.filter(session_key=ended.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )

    out = StringIO()
    call_command("run_daily", "--only", "sessions", stdout=out)

    assert "sessions: expired sessions deleted." in out.getvalue()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_run_daily_expires_waitlist_offers_and_forgets_old_find_my_booking_addresses(
    clinic, settings
):
    from booking.models import WaitlistOffer
    from booking.models import WaitlistOfferStatus as Offer
    from tests.booking.booking_world import make_world
    from tests.booking.waitlist_world import join, offer_time

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    world = make_world()
    world.slot(world.tom, 9, 13)
    two_hours_ago = timezone.now() - timedelta(hours=2, minutes=1)
    join(world, "Ann One", now=two_hours_ago)
    offer_time(world, two_hours_ago, 10)
    Notification.objects.create(kind=NotificationKind.BOOKING_LINKS, email="old@example.com")
    Notification.objects.filter(email="old@example.com").update(
        created_at=timezone.now() - timedelta(days=31)
    )
    Notification.objects.create(kind=NotificationKind.BOOKING_LINKS, email="new@example.com")

    out = StringIO()
    call_command("run_daily", "--only", "waitlist", stdout=out)

    assert WaitlistOffer.objects.get().status == Offer.EXPIRED
    assert "waitlist: 1 offers expired" in out.getvalue()
    assert list(
        Notification.objects.filter(kind=NotificationKind.BOOKING_LINKS).values_list(
            "email", flat=True
        )
    ) == ["new@example.com"]
