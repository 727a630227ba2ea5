"""Twenty patients press "Request this appointment" at the same instant.

Each thread has its own client (its own session and CSRF cookie) and its own
database connection; a Barrier releases them together. PostgreSQL's exclusion
constraint must let exactly one booking through; everyone else gets the
friendly "just taken" page, never a 500.
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from booking import flow
from booking.models import AppointmentRequest
from tests.booking.booking_world import at, make_world, signed_details

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    world = make_world()
    world.slot(world.maya, 9, 13)
    return world


def submit_all(requests: list[dict]) -> list[tuple[int, str]]:
    barrier = threading.Barrier(len(requests))
    results: list[tuple[int, str] | None] = [None] * len(requests)

    def run(index: int, data: dict) -> None:
        client = Client(enforce_csrf_checks=False)
        try:
            barrier.wait(timeout=30)
            response = client.post(reverse("booking:confirm"), data)
            results[index] = (response.status_code, response.content.decode())
        except Exception as error:  # reported by the assertions on the results
            results[index] = (-1, repr(error))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, data)) for index, data in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def confirm_data(world, treatment, hour, minute, n):
    return {
        "treatment": treatment.slug,
        "practitioner": world.maya.slug,
        "start": flow.start_format(at(world.day, hour, minute)),
        "details": signed_details(treatment, name=f"Patient {n}", email=f"p{n}@example.com"),
    }


def assert_one_booked_rest_told(results):
    statuses = sorted(status for status, _ in results)
    assert statuses.count(302) == 1, statuses
    assert statuses.count(409) == THREADS - 1, statuses
    for status, content in results:
        if status == 409:
            assert "someone booked that time a moment before you" in content
    assert AppointmentRequest.objects.count() == 1


def test_twenty_simultaneous_bookings_of_one_time_store_exactly_one(world):
    requests = [confirm_data(world, world.dry_needling, 10, 0, n) for n in range(THREADS)]

    results = submit_all(requests)

    assert_one_booked_rest_told(results)


def test_twenty_simultaneous_overlapping_bookings_of_different_lengths_store_one(world):
    # 45-minute dry needling at 10:00 (held to 10:55), a 30-minute follow-up at
    # 10:15 and a 60-minute massage at 10:30: every pair overlaps.
    shapes = [
        (world.dry_needling, 10, 0),
        (world.follow_up, 10, 15),
        (world.massage, 10, 30),
    ]
    requests = [confirm_data(world, *shapes[n % len(shapes)], n) for n in range(THREADS)]

    results = submit_all(requests)

    assert_one_booked_rest_told(results)
    booked = AppointmentRequest.objects.get()
    assert booked.starts_at in {at(world.day, h, m) for _, h, m in shapes}
