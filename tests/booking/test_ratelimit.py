"""booking.ratelimit and clinic.client as units: who is counted, and how."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from booking.ratelimit import booking_attempt, booking_made
from clinic.client import client_ip

pytestmark = pytest.mark.django_db

factory = RequestFactory()


def request_from(address: str = "203.0.113.7", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return factory.post("/book/confirm/", **extra)


@pytest.fixture
def behind_one_proxy(settings):
    settings.BEHIND_PROXY = True
    settings.BEHIND_PROXY_COUNT = 1


@pytest.fixture
def database_store(settings):
    settings.BOOKING_RATE_LIMIT_STORE = "database"


def test_client_address_is_the_connection_address_without_a_proxy(settings):
    settings.BEHIND_PROXY = False
    assert client_ip(request_from("203.0.113.7", forwarded="198.51.100.1")) == "203.0.113.7"


def test_behind_one_proxy_the_address_it_saw_counts(behind_one_proxy):
    request = request_from("10.0.0.2", forwarded="198.51.100.1, 203.0.113.9, 192.0.2.44 ,")
    assert client_ip(request) == "192.0.2.44"


def test_behind_a_proxy_without_the_header_the_connection_address_counts(behind_one_proxy):
    assert client_ip(request_from("10.0.0.2", forwarded=" , ")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"


def test_a_forwarded_value_that_is_not_an_address_is_not_believed(behind_one_proxy):
    assert client_ip(request_from("10.0.0.2", forwarded="<script>")) == "10.0.0.2"


def test_a_request_with_no_address_is_still_counted(settings, database_store):
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 3600), "email": (0, 3600)}
    now = timezone.now()
    assert client_ip(request_from("")) is None
    assert booking_attempt(request=request_from(""), email="a@example.com", now=now) is None
    refusal = booking_attempt(request=request_from(""), email="a@example.com", now=now)
    assert refusal is not None and refusal.kind == "ip"


def test_email_limit_ignores_case_and_spaces(settings, database_store):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (2, 3600)}
    now = timezone.now()
    booking_made(email="sam@example.com", now=now)
    booking_made(email=" SAM@example.com", now=now)

    refusal = booking_attempt(request=request_from(), email="Sam@Example.COM ", now=now)

    assert refusal is not None and refusal.kind == "email"
    assert booking_attempt(request=request_from(), email="other@example.com", now=now) is None


def test_a_refusal_says_when_the_window_ends(settings, database_store):
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 3600), "email": (0, 3600)}
    now = timezone.now()
    booking_attempt(request=request_from(), email="a@example.com", now=now)

    refusal = booking_attempt(request=request_from(), email="a@example.com", now=now)

    assert refusal.retry_at == pytest.approx(now + timedelta(hours=1), abs=timedelta(seconds=1))
    assert 3590 <= refusal.retry_after <= 3600


def test_counting_starts_again_when_the_window_is_over(settings, database_store):
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 60), "email": (0, 3600)}
    now = timezone.now()
    assert booking_attempt(request=request_from(), email="a@example.com", now=now) is None
    assert booking_attempt(request=request_from(), email="a@example.com", now=now) is not None
    later = now + timedelta(seconds=61)
    assert booking_attempt(request=request_from(), email="a@example.com", now=later) is None
