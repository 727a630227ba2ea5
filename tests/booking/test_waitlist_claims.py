"""Claiming an offered time: through the booking service, once, and never from a GET."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.emails import deliver_notification
from booking.errors import AlreadyBookedError, BookingError, OfferClosedError
from booking.intake.questions import kept_values
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    Notification,
    NotificationStatus,
    WaitlistOffer,
)
from booking.models import WaitlistEntryStatus as Entry
from booking.models import WaitlistOfferStatus as Offer
from booking.ratelimit import booking_made
from booking.waitlist.services import offer_claim, waitlist_leave
from tests.booking.booking_world import at, make_world
from tests.booking.intake_world import SAFETY_KEYS, SAFETY_WORDING, kept_for
from tests.booking.waitlist_world import book, join, offer_time, offer_token

pytestmark = pytest.mark.django_db

NO = dict.fromkeys(SAFETY_KEYS, False)


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    world = make_world()
    world.slot(world.tom, 9, 13)
    world.slot(world.maya, 9, 13)
    return world


@pytest.fixture
def now(world):
    return at(world.day, 8) - timedelta(days=2)


@pytest.fixture
def offers(world, now):
    join(world, "Ann One", now=now, email="ann@example.com", reason="Sore knee after running")
    join(world, "Ben Two", now=now, email="ben@example.com", reason="Stiff back")
    return offer_time(world, now, 10)


# --- The service ---------------------------------------------------------------------------


def test_the_first_claim_books_through_the_booking_service_and_closes_the_others(
    world, now, offers
):
    first, second = offers

    appointment = offer_claim(offer_id=first.pk, answers={}, now=now)

    assert (appointment.patient_name, appointment.starts_at) == ("Ann One", at(world.day, 10))
    assert appointment.status == AppointmentStatus.CONFIRMED  # a follow-up needs no confirming
    assert appointment.reason == "Sore knee after running"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.appointment) == (Offer.CLAIMED, appointment)
    assert second.status == Offer.TAKEN
    assert first.entry.__class__.objects.get(pk=first.entry_id).status == Entry.BOOKED


def test_a_second_claim_is_told_someone_was_quicker_and_stays_on_the_list(world, now, offers):
    first, second = offers
    offer_claim(offer_id=first.pk, answers={}, now=now)

    with pytest.raises(OfferClosedError, match="Someone was quicker"):
        offer_claim(offer_id=second.pk, answers={}, now=now)

    second.entry.refresh_from_db()
    assert second.entry.status == Entry.WAITING
    assert AppointmentRequest.objects.count() == 1


def test_a_time_booked_by_anyone_else_first_is_refused_as_taken(world, now, offers):
    book(world, now, 10, email="quick@example.com")

    with pytest.raises(OfferClosedError, match="Someone was quicker"):
        offer_claim(offer_id=offers[0].pk, answers={}, now=now)


def test_claiming_one_offer_twice_books_it_once(world, now, offers):
    first = offer_claim(offer_id=offers[0].pk, answers={}, now=now)

    with pytest.raises(AlreadyBookedError) as again:
        offer_claim(offer_id=offers[0].pk, answers={}, now=now)

    assert again.value.appointment == first
    assert AppointmentRequest.objects.count() == 1


def test_an_expired_offer_cannot_be_claimed(world, now, offers):
    later = offers[0].expires_at

    with pytest.raises(OfferClosedError, match="expired"):
        offer_claim(offer_id=offers[0].pk, answers={}, now=later)
    assert AppointmentRequest.objects.count() == 0


def test_an_offer_of_a_place_that_was_left_cannot_be_claimed(world, now, offers):
    waitlist_leave(entry_id=offers[0].entry_id, now=now)

    with pytest.raises(OfferClosedError, match="closed"):
        offer_claim(offer_id=offers[0].pk, answers={}, now=now)


def test_a_time_no_longer_bookable_online_closes_the_offer_with_the_reason(world, now, offers):
    from booking.models import TimeSlot

    TimeSlot.objects.filter(practitioner=world.tom).update(is_blocked=True)

    with pytest.raises(OfferClosedError, match="not available at that time"):
        offer_claim(offer_id=offers[0].pk, answers={}, now=now)
    offers[0].refresh_from_db()
    assert offers[0].status == Offer.WITHDRAWN


def test_a_needle_treatment_is_claimed_only_with_every_safety_answer(world, now):
    join(world, "Ann One", now=now, treatment=world.dry_needling, email="ann@example.com")
    [offer] = offer_time(world, now, 10, minutes=55)

    with pytest.raises(BookingError, match="answer every question of the form"):
        offer_claim(offer_id=offer.pk, answers={}, now=now)
    assert AppointmentRequest.objects.count() == 0
    appointment = offer_claim(offer_id=offer.pk, answers={**NO, "implant": True}, now=now)

    assert appointment.status == AppointmentStatus.REQUESTED
    assert kept_values(appointment.answers) == {**NO, "implant": True}
    assert appointment.answers == kept_for(world.dry_needling, {**NO, "implant": True})


# --- The e-mails -----------------------------------------------------------------------------


def test_the_offer_email_has_the_claim_link_and_when_it_closes_but_no_health_details(
    world, now, offers, mailoutbox, settings
):
    settings.SITE_URL = "https://clinic.example"
    notification = Notification.objects.get(offer=offers[0])

    deliver_notification(notification_id=notification.pk, now=now)

    [mail] = mailoutbox
    html = mail.alternatives[0][0]
    assert mail.to == ["ann@example.com"]
    assert mail.subject.startswith("A time has come free: Physiotherapy follow-up")
    link = f"https://clinic.example/book/offer/link/{offer_token(offers[0])}/"
    assert link in mail.body and link in html
    assert "open until 10:00" in mail.body.replace("\n", " ")
    for private in ("Sore knee", "Stiff back", "07700"):
        assert private not in mail.body and private not in html


def test_the_joined_email_links_to_the_place_and_leaves_out_the_reason(world, now, mailoutbox):
    entry = join(world, "Ann One", now=now, reason="Sore knee after running")
    notification = Notification.objects.get(waitlist_entry=entry)

    deliver_notification(notification_id=notification.pk, now=now)

    [mail] = mailoutbox
    assert mail.subject == "You are on the waitlist: Physiotherapy follow-up"
    assert "/book/waitlist/link/" in mail.body
    assert "Sore knee" not in mail.body and "Sore knee" not in mail.alternatives[0][0]


def test_an_offer_closed_before_its_email_goes_is_not_sent(world, now, offers, mailoutbox):
    book(world, now, 10, email="quick@example.com")
    notification = Notification.objects.get(offer=offers[0])

    deliver_notification(notification_id=notification.pk, now=now)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SKIPPED
    assert "taken" in notification.last_error
    assert mailoutbox == []


# --- Through the pages: link scanners claim nothing ------------------------------------------


def open_offer(client, offer):
    response = client.get(reverse("booking:offer_link", kwargs={"token": offer_token(offer)}))
    assert response.status_code == 302
    return response["Location"]


def test_opening_an_offer_link_and_its_page_books_nothing(client, world, offers):
    page = open_offer(client, offers[0])

    assert page == reverse("booking:offer", kwargs={"reference": offers[0].reference})
    response = client.get(page)
    assert response.status_code == 200
    assert "Book this time" in response.content.decode()
    assert AppointmentRequest.objects.count() == 0
    assert WaitlistOffer.objects.filter(status=Offer.OPEN).count() == 2
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_pressing_the_button_books_the_offered_time_and_shows_the_booking(client, world, offers):
    page = open_offer(client, offers[0])

    response = client.post(page, {})

    appointment = AppointmentRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "booking:confirmed", kwargs={"reference": appointment.reference}
    )
    assert "you are booked in" in client.get(response["Location"]).content.decode()


def test_the_second_patient_is_told_someone_was_quicker_with_the_nearest_times(
    client, world, offers
):
    offer_claim(offer_id=offers[0].pk, answers={}, now=offers[0].created_at)
    page = open_offer(client, offers[1])

    shown = client.get(page)
    pressed = client.post(page, {})

    assert shown.status_code == 200 and pressed.status_code == 409
    for response in (shown, pressed):
        text = response.content.decode()
        assert "Someone was quicker" in text
        assert "You are still on the waitlist" in text
        assert "Nearest free times" in text
    assert AppointmentRequest.objects.count() == 1


def test_the_nearest_times_lead_into_the_booking_flow_with_the_details_filled_in(
    client, world, offers
):
    offer_claim(offer_id=offers[0].pk, answers={}, now=offers[0].created_at)
    shown = client.get(open_offer(client, offers[1])).content.decode()
    link = re.search(r'href="(/book/details/\?[^"]+)"', shown).group(1).replace("&amp;", "&")

    details = client.get(link).content.decode()

    assert 'value="Ben Two"' in details
    assert 'value="ben@example.com"' in details


def test_an_offer_page_needs_its_link_first(client, world, offers):
    response = client.get(reverse("booking:offer", kwargs={"reference": offers[0].reference}))

    assert response.status_code == 403
    assert "Please open your offer from your e-mail" in response.content.decode()


def test_an_unknown_offer_link_is_not_found(client, world):
    response = client.get(reverse("booking:offer_link", kwargs={"token": "x" * 43}))

    assert response.status_code == 404


def test_a_bot_filling_the_hidden_field_books_nothing(client, world, offers):
    page = open_offer(client, offers[0])

    response = client.post(page, {"website": "https://spam.example"})

    assert response.status_code == 400
    assert AppointmentRequest.objects.count() == 0


def test_a_needle_claim_without_answers_shows_the_questions_again(client, world, now):
    join(world, "Ann One", now=now, treatment=world.dry_needling)
    [offer] = offer_time(world, now, 10, minutes=55)
    page = open_offer(client, offer)

    nothing = client.post(page, {})
    both = client.post(
        page, {"intake-needle-safety": ["pregnant"], "intake-needle-safety-none": "on"}
    )

    assert nothing.status_code == both.status_code == 200
    assert "Tick each one that applies to you" in nothing.content.decode()
    assert "and one that applies: please untick one" in both.content.decode()
    assert AppointmentRequest.objects.count() == 0
    assert client.post(page, {"intake-needle-safety-none": "on"}).status_code == 302
    kept = AppointmentRequest.objects.get().answers
    assert kept_values(kept) == NO
    assert [item["question"] for item in kept] == [SAFETY_WORDING[key] for key in SAFETY_KEYS]


def test_the_claim_counts_against_the_booking_limits(client, world, offers, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (1, 3600)}
    booking_made(email="ann@example.com", now=timezone.now())  # one booking this hour already
    page = open_offer(client, offers[0])

    response = client.post(page, {})

    assert response.status_code == 429
    assert response["Retry-After"]
    assert "Your details are kept" in response.content.decode()
    assert AppointmentRequest.objects.filter(email="ann@example.com").count() == 0


def test_pressing_again_after_booking_shows_the_booking_and_counts_nothing_more(
    client, world, offers, settings
):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (1, 3600)}
    page = open_offer(client, offers[0])

    first = client.post(page, {})
    again = client.post(page, {})

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert AppointmentRequest.objects.count() == 1
