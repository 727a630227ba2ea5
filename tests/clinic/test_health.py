"""/healthz: what is down, the task backlog and the oldest queued e-mail, within seconds."""

import logging
import time
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from booking.models import Notification
from booking.notifications import queue_notification
from clinic.redis_cache import FailSoftRedisCache, Outage
from tests.booking.conftest import make_appointment
from tests.conftest import closed_port

pytestmark = pytest.mark.django_db


def redis_cache_settings(url: str, prefix: str = "clinic-test") -> dict:
    return {
        "default": {
            "BACKEND": "clinic.redis_cache.FailSoftRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_healthz_names_a_redis_that_is_down_and_answers_503_fast(client, settings):
    settings.CACHES = redis_cache_settings(f"redis://127.0.0.1:{closed_port()}/0")
    started = time.monotonic()
    response = client.get(reverse("healthz"))
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.json()["down"] == ["cache"]
    assert response.json()["database"] == "ok"


def test_healthz_is_ok_with_a_redis_that_answers(client, settings, redis_prefix):
    url, prefix = redis_prefix
    settings.CACHES = redis_cache_settings(url, prefix)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["cache"] == "ok"


def test_healthz_reports_the_task_backlog_and_the_oldest_queued_email(client, clinic, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    appointment = make_appointment(starts_at=timezone.now() + timedelta(days=2))
    notification = queue_notification(appointment=appointment, kind="request_received")
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=12)
    )
    from booking.tasks import send_notification

    send_notification.enqueue(notification_id=notification.pk)

    report = client.get(reverse("healthz")).json()

    assert report["task_backlog"] == 1
    assert 0 <= report["oldest_task_seconds"] < 60
    assert 12 * 60 <= report["oldest_queued_email_seconds"] < 13 * 60


# --- the fail-soft cache --------------------------------------------------------------


def test_a_cache_on_a_closed_port_reads_as_empty_and_drops_writes(settings):
    settings.CACHES = redis_cache_settings(f"redis://127.0.0.1:{closed_port()}/0")
    cache = caches["default"]
    cache.set("k", 1)
    assert cache.get("k") is None
    assert cache.get_many(["k"]) == {}
    assert cache.add("k", 1) is False
    with pytest.raises(ValueError):
        cache.incr("k")


def test_pages_render_without_the_cache_when_redis_is_down(client, clinic, settings):
    settings.CACHES = redis_cache_settings(f"redis://127.0.0.1:{closed_port()}/0")
    for url in [reverse("home"), reverse("booking:start"), reverse("articles:article_list")]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_a_cache_outage_is_logged_once_a_minute_not_per_call(caplog):
    now = [1000.0]
    outage = Outage("Redis cache", retry_seconds=0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="clinic.cache"):
        for _ in range(50):
            outage.failed(ConnectionError("refused"), fallback="no cache")
        now[0] += 61
        outage.failed(ConnectionError("refused"), fallback="no cache")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "1 failure(s)" in messages[0]
    assert "50 failure(s) since the last message" in messages[1]


def test_after_a_failure_redis_is_left_alone_for_a_few_seconds(settings):
    port = closed_port()
    cache = FailSoftRedisCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"RETRY_SECONDS": 60}})
    calls = []
    real = cache._cache.get
    cache._cache.get = lambda *args: calls.append(1) or real(*args)
    for _ in range(5):
        assert cache.get("k") is None
    assert len(calls) == 1


def test_the_redis_cache_makes_one_client_per_connection_pool_and_it_serves_every_call(
    redis_prefix,
):
    url, prefix = redis_prefix
    cache = FailSoftRedisCache(url, {"KEY_PREFIX": prefix})
    clients = {id(cache._cache.get_client(write=write)) for write in (True, False, True)}
    assert len(clients) == 1  # one server: reads and writes share its pool and client
    cache.set("page", b"stored", 30)
    cache.set_many({"a": 1, "b": 2}, 30)
    assert cache.get_many(["page", "a", "b", "missing"]) == {"page": b"stored", "a": 1, "b": 2}
    assert cache.incr("a") == 2
