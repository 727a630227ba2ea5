"""Ten people claim one offered time at the same instant.

Each thread has its own client (its own session, granted by its own offer
link) and its own database connection; a Barrier releases the presses
together. The booking service's exclusion constraint must let exactly one
booking through, and everyone else must get the friendly "someone was
quicker" page, never a 500.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentRequest, WaitlistEntry
from booking.models import WaitlistEntryStatus as Entry
from booking.models import WaitlistOfferStatus as Offer
from clinic.identity import forget_clinic
from tests.booking.booking_world import make_world
from tests.booking.waitlist_world import join, offer_time, offer_token

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 10


@pytest.fixture
def offers(clinic, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    clinic.waitlist_offer_count = PEOPLE
    clinic.save()
    forget_clinic()
    world = make_world()
    world.slot(world.tom, 9, 13)
    now = timezone.now()
    for n in range(PEOPLE):
        join(world, f"Patient {n}", now=now, email=f"p{n}@example.com")
    offers = offer_time(world, now, 10)
    assert len(offers) == PEOPLE
    assert len({offer.starts_at for offer in offers}) == 1
    return offers


def press_all(offers) -> list[tuple[int, str]]:
    """Each client opens its offer's link, then all press "Book this time" at once."""
    barrier = threading.Barrier(len(offers))
    results: list[tuple[int, str] | None] = [None] * len(offers)

    def run(index: int, offer) -> None:
        client = Client()
        try:
            link = reverse("booking:offer_link", kwargs={"token": offer_token(offer)})
            page = client.get(link)["Location"]
            connection.close()  # back to the pool while waiting: ten presses, eight connections
            barrier.wait(timeout=30)
            response = client.post(page, {})
            results[index] = (response.status_code, response.content.decode())
        except Exception as error:  # reported by the assertions on the results
            results[index] = (-1, repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(offers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_ten_claims_of_one_offered_time_at_once_store_exactly_one_appointment(offers):
    results = press_all(offers)

    statuses = sorted(status for status, _ in results)
    assert statuses == [302] + [409] * (PEOPLE - 1), results
    for status, content in results:
        if status == 409:
            assert "Someone was quicker" in content
            assert "You are still on the waitlist" in content
    [appointment] = AppointmentRequest.objects.all()
    assert appointment.starts_at == offers[0].starts_at
    by_status = {}
    for offer in offers:
        offer.refresh_from_db()
        by_status.setdefault(offer.status, []).append(offer)
    assert [offer.appointment for offer in by_status[Offer.CLAIMED]] == [appointment]
    assert len(by_status[Offer.TAKEN]) == PEOPLE - 1
    assert WaitlistEntry.objects.filter(status=Entry.WAITING).count() == PEOPLE - 1


def test_one_offer_pressed_ten_times_at_once_books_once_and_every_press_shows_it(offers):
    results = press_all([offers[0]] * PEOPLE)

    [appointment] = AppointmentRequest.objects.all()
    assert [status for status, _ in results] == [302] * PEOPLE, results
    assert appointment.email == "p0@example.com"
    assert appointment.starts_at - offers[0].starts_at == timedelta(0)
