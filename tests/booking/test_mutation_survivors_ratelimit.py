"""Booking rules of booking/ratelimit.py that mutation testing found untested.

Each test here failed with a mutant of `make mutate` applied (docs/testing.md,
"Mutation testing") and states the rule that mutant broke.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from booking import ratelimit
from booking.models import RateLimitCounter
from booking.ratelimit import Refusal, booking_attempt, booking_made
from clinic.redis_cache import Outage

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "wait"),
    [
        (30, "in about 1 minute"),
        (60, "in about 1 minute"),
        (61, "in about 2 minutes"),
        (90, "in about 2 minutes"),
    ],
)
def test_a_refusal_rounds_the_wait_up_to_whole_minutes(seconds, wait):
    # Rounded down, "61 seconds" would read "in about 1 minute" and the patient
    # pressing the button after a minute would be refused again.
    refusal = Refusal("ip", NOW + timedelta(seconds=seconds), seconds)

    assert refusal.when(LONDON).endswith(f"({wait})")


def test_a_refusal_on_another_page_says_whose_limit_was_reached():
    refusal_for = {kind: Refusal(kind, NOW + timedelta(minutes=5), 300) for kind in ("ip", "email")}

    by_email = refusal_for["email"].try_again(what="your request", zone=LONDON)
    by_connection = refusal_for["ip"].try_again(what="your request", zone=LONDON)

    assert by_email.startswith("This e-mail address has been used as often as we accept")
    assert by_connection.startswith("We have received many requests from your connection")


@pytest.fixture
def redis_counters(settings, redis_prefix, monkeypatch):
    url, prefix = redis_prefix
    settings.REDIS_URL, settings.REDIS_KEY_PREFIX = url, prefix
    settings.BOOKING_RATE_LIMIT_STORE = "redis"
    # Redis counts here even if another test just saw it down (it retries after 5 seconds).
    monkeypatch.setattr(ratelimit, "_redis_outage", Outage("test Redis", retry_seconds=5))


@pytest.mark.django_db
def test_with_redis_a_refusal_names_the_end_of_the_window(rf, settings, redis_counters):
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 3600), "email": (0, 3600)}
    request = rf.post("/book/confirm/", REMOTE_ADDR="192.0.2.12")
    now = timezone.now()
    booking_attempt(request=request, email="a@example.com", now=now)

    refusal = booking_attempt(request=request, email="a@example.com", now=now)

    assert refusal.retry_at == pytest.approx(now + timedelta(hours=1), abs=timedelta(seconds=5))
    assert 3590 <= refusal.retry_after <= 3600
    assert not RateLimitCounter.objects.exists()


@pytest.fixture(params=["database", "redis"])
def store(request, settings):
    if request.param == "redis":
        request.getfixturevalue("redis_counters")
    else:
        settings.BOOKING_RATE_LIMIT_STORE = "database"
    return request.param


@pytest.mark.django_db
def test_an_address_never_used_may_make_its_one_booking_then_waits_for_the_window(
    rf, settings, store
):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (1, 3600)}
    request = rf.post("/book/confirm/", REMOTE_ADDR="192.0.2.11")
    now = timezone.now()

    first = booking_attempt(request=request, email="new@example.com", now=now)
    booking_made(email="new@example.com", now=now)
    second = booking_attempt(request=request, email="new@example.com", now=now)

    assert first is None
    assert second is not None and second.kind == "email"
    assert second.retry_at == pytest.approx(now + timedelta(hours=1), abs=timedelta(seconds=5))
    assert RateLimitCounter.objects.exists() == (store == "database")


@pytest.mark.django_db
def test_the_database_store_counts_in_postgresql_even_with_redis_configured(
    rf, settings, redis_prefix
):
    settings.REDIS_URL, settings.REDIS_KEY_PREFIX = redis_prefix
    settings.BOOKING_RATE_LIMIT_STORE = "database"
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 3600), "email": (0, 3600)}
    request = rf.post("/book/confirm/", REMOTE_ADDR="192.0.2.13")

    booking_attempt(request=request, email="a@example.com", now=timezone.now())

    assert RateLimitCounter.objects.get().count == 1
