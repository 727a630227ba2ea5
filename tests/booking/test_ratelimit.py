"""Booking submission limits per client address and per e-mail address."""

import time

import pytest
from django.test import RequestFactory

from booking.ratelimit import client_ip, submission_allowed

factory = RequestFactory()


def request_from(address: str = "203.0.113.7", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return factory.post("/book/confirm/", **extra)


@pytest.fixture
def behind_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def test_client_address_is_the_connection_address_without_a_proxy():
    assert client_ip(request_from("203.0.113.7")) == "203.0.113.7"


def test_forwarded_for_is_ignored_without_a_trusted_proxy(settings):
    # Anyone can send the header; only a proxy we run may be believed.
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client_ip(request_from("203.0.113.7", forwarded="198.51.100.1")) == "203.0.113.7"


def test_behind_a_proxy_the_address_it_saw_last_counts(behind_proxy):
    request = request_from("10.0.0.2", forwarded="198.51.100.1, 203.0.113.9, 192.0.2.44 ,")
    assert client_ip(request) == "192.0.2.44"


def test_behind_a_proxy_without_the_header_the_connection_address_counts(behind_proxy):
    assert client_ip(request_from("10.0.0.2", forwarded=" , ")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"


def test_a_request_with_no_address_at_all_is_counted_as_unknown():
    assert client_ip(request_from("")) == "unknown"


def test_address_limit_refuses_the_attempt_after_the_limit(settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (2, 3600), "email": (0, 3600)}
    results = [submission_allowed(request=request_from(), email=f"{n}@example.com") for n in "abc"]
    assert results == [True, True, False]
    assert submission_allowed(request=request_from("198.51.100.9"), email="d@example.com")


def test_email_limit_ignores_case_and_spaces(settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (2, 3600)}
    emails = ["sam@example.com", " SAM@example.com", "Sam@Example.COM ", "other@example.com"]
    results = [
        submission_allowed(request=request_from(f"198.51.100.{n}"), email=email)
        for n, email in enumerate(emails)
    ]
    assert results == [True, True, False, True]


def test_a_limit_of_zero_switches_that_limit_off(settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    assert all(submission_allowed(request=request_from(), email="a@example.com") for _ in range(50))


def test_every_attempt_counts_against_both_limits(settings):
    # Refused for its address, the attempt still counts for its e-mail, so
    # changing address does not buy more tries for the same e-mail.
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 3600), "email": (3, 3600)}
    attempts = [
        ("192.0.2.1", True),
        ("192.0.2.1", False),
        ("192.0.2.2", True),
        ("192.0.2.3", False),
    ]
    for address, allowed in attempts:
        assert submission_allowed(request=request_from(address), email="x@example.com") is allowed


def test_counting_starts_again_when_the_window_is_over(settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 1), "email": (0, 3600)}
    assert submission_allowed(request=request_from(), email="a@example.com")
    assert not submission_allowed(request=request_from(), email="a@example.com")
    time.sleep(1.1)
    assert submission_allowed(request=request_from(), email="a@example.com")
