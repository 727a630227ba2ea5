"""When staff confirm online bookings: always, never, or only when a safety answer needs a look."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from booking import flow
from booking.errors import BookingError
from booking.models import AppointmentRequest, AppointmentStatus, Confirmation
from booking.services import appointment_book, request_notice_refusal
from tests.booking.booking_world import at, make_world, patient
from tests.booking.intake_world import SAFETY_KEYS
from tests.booking.test_booking_flow import confirm_data, details_data, details_url

pytestmark = pytest.mark.django_db

ALL_NO = dict.fromkeys(SAFETY_KEYS, False)


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    world = make_world()
    world.dry_needling.confirmation = Confirmation.REVIEW
    world.dry_needling.save()
    world.slot(world.maya, 9, 13)
    return world


def book(world, hour, screening, now):
    return appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, hour),
        patient=patient(answers=screening, email=f"p{hour}@example.com"),
        now=now,
    )


def test_every_answer_no_books_at_once_and_a_yes_makes_a_request(world):
    now = at(world.day, 8) - timedelta(days=2)

    instant = book(world, 9, ALL_NO, now)
    request = book(world, 11, {**ALL_NO, "bleeding": True}, now)

    assert instant.status == AppointmentStatus.CONFIRMED
    assert request.status == AppointmentStatus.REQUESTED


def test_a_yes_needs_time_for_staff_to_look_but_all_no_may_book_close_to_the_start(world):
    # Two opening hours from 06:30 end at 10:00: a request for 09:00 comes too late.
    now = at(world.day, 6, 30)

    with pytest.raises(BookingError, match="Because of your answers to the safety questions"):
        book(world, 9, {**ALL_NO, "pregnant": True}, now)
    instant = book(world, 9, ALL_NO, now)

    assert instant.status == AppointmentStatus.CONFIRMED
    assert AppointmentRequest.objects.count() == 1


def test_too_soon_for_a_request_says_why_and_gives_the_clinics_phone(world, clinic):
    # Two opening hours from 06:30 end at 10:00: a 09:00 request leaves staff no time.
    now, starts_at = at(world.day, 6, 30), at(world.day, 9)

    plain = request_notice_refusal(starts_at=starts_at, now=now)
    answers = request_notice_refusal(starts_at=starts_at, now=now, because_of_answers=True)

    assert plain.startswith("That time is too soon for us to confirm a request")
    assert answers.startswith("Because of your answers to the safety questions")
    assert f"phone us on {clinic.phone}" in plain and f"phone us on {clinic.phone}" in answers
    assert request_notice_refusal(starts_at=at(world.day, 9) + timedelta(days=7), now=now) == ""


@pytest.mark.parametrize(
    ("policy", "answers", "status"),
    [
        (Confirmation.ALWAYS, ALL_NO, AppointmentStatus.REQUESTED),
        (Confirmation.NEVER, {**ALL_NO, "implant": True}, AppointmentStatus.CONFIRMED),
    ],
)
def test_always_and_never_do_not_look_at_the_answers(world, policy, answers, status):
    world.dry_needling.confirmation = policy
    world.dry_needling.save()

    booked = book(world, 9, answers, at(world.day, 8) - timedelta(days=2))

    assert booked.status == status


def test_the_review_page_says_book_for_all_no_and_why_it_is_a_request_for_a_yes(client, world):
    def page(**answers):
        response = client.post(details_url(world), details_data(**answers), follow=True)
        return re.sub(r"\s+", " ", response.content.decode())

    instant, asked = page(), page(safety_bleeding="yes")

    assert "Book this appointment" in instant and "Request this appointment" not in instant
    assert "Check and book" in instant
    assert "Request this appointment" in asked and "Check and request" in asked
    assert "You answered yes about: bleeding disorder or blood thinners" in asked
    assert "a physiotherapist reads your answers before confirming" in asked


def test_the_confirmation_page_follows_the_outcome(client, world):
    client.post(reverse("booking:confirm"), confirm_data(world, 10))
    booked = AppointmentRequest.objects.get()
    page = client.get(reverse("booking:confirmed", kwargs={"reference": booked.reference}))

    assert booked.status == AppointmentStatus.CONFIRMED
    assert "you are booked in" in page.content.decode()


def test_the_review_page_says_a_request_is_too_soon_before_the_patient_presses(
    client, world, time_machine
):
    time_machine.move_to(at(world.day, 6, 30))  # staff can confirm from 10:00 on this day

    review = client.post(details_url(world, 9), details_data(safety_pregnant="yes"), follow=True)

    text = re.sub(r"\s+", " ", review.content.decode())
    assert "Because of your answers to the safety questions" in text
    assert f"from {world.day:%A} {world.day.day} {world.day:%B} at 10:00" in text
    offered = [flow.start_parse(start) for start in re.findall(r'value="maya-okafor\|(\w+)"', text)]
    assert offered and all(start >= at(world.day, 10) for start in offered)
    assert AppointmentRequest.objects.count() == 0
