"""One press books once, signed details cannot be replayed, and nothing typed is lost."""

import re
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking import flow
from booking.errors import AlreadyBookedError, BookingError
from booking.forms import details_sign, details_unsign
from booking.intake.questions import kept_values
from booking.models import AppointmentRequest
from booking.services import appointment_book
from booking.tokens import booking_key_new, digest
from tests.booking.booking_world import at, make_world, patient, signed_details
from tests.booking.test_booking_flow import details_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}


@pytest.fixture
def world(clinic):
    world = make_world()
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    return world


DETAILS = {
    "name": "Robin Hale",
    "email": "robin@example.com",
    "phone": "07700 900555",
    "patient_type": "returning",
    "reason": "Sore shoulder",
    "consent": "on",
    "website": "",
    "intake-needle-safety": ["bleeding"],  # the one statement ticked: every other answer is no
}


def review(client, world, **kwargs) -> dict:
    """Fill the details step; returns the review form's fields as the browser would send them."""
    response = client.post(details_url(world, **kwargs), DETAILS, follow=True)
    assert response.status_code == 200
    content = response.content.decode()
    start = content.index('action="/book/confirm/"')
    form = content[start : content.index("</form>", start)]  # the header's search form is first
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def spent_key(fields) -> str:
    return details_unsign(fields["details"]).key


# --- one press books once ---------------------------------------------------------


def test_second_press_of_the_final_button_redirects_to_the_same_booking(client, world):
    fields = review(client, world)

    first = client.post(reverse("booking:confirm"), fields)
    second = client.post(reverse("booking:confirm"), fields)

    appointment = AppointmentRequest.objects.get()
    assert first.status_code == second.status_code == 302
    assert (
        first.url
        == second.url
        == reverse("booking:confirmed", kwargs={"reference": appointment.reference})
    )
    assert appointment.reference in client.get(second.url).content.decode()


def test_the_review_forms_value_sent_from_another_browser_books_nothing_and_opens_nothing(
    client, world
):
    fields = review(client, world)
    client.post(reverse("booking:confirm"), fields)

    response = Client().post(reverse("booking:confirm"), fields)

    appointment = AppointmentRequest.objects.get()
    assert response.status_code == 409
    text = response.content.decode()
    assert "already been used" in text and appointment.reference not in text
    assert "Location" not in response


def test_the_review_forms_value_from_this_browser_opens_its_booking_only_for_two_hours(
    client, world, monkeypatch
):
    from booking import forms

    fields = review(client, world)
    booked = client.post(reverse("booking:confirm"), fields)
    session = client.session
    session.pop("booking_last")  # as if the booking's answer never came back
    session.save()
    again = client.post(reverse("booking:confirm"), fields)
    monkeypatch.setattr(forms, "DETAILS_MAX_AGE", -1)  # two hours later
    late = client.post(reverse("booking:confirm"), fields)

    assert booked.status_code == again.status_code == 302
    assert again.url == booked.url
    assert late.status_code == 409


def test_details_resent_after_back_review_with_the_key_that_already_booked(client, world):
    fields = review(client, world)
    client.post(reverse("booking:confirm"), fields)

    again = review(client, world)  # Back to the details page and Continue again

    assert spent_key(again) == spent_key(fields)
    response = client.post(reverse("booking:confirm"), again)
    assert response.status_code == 302
    assert AppointmentRequest.objects.count() == 1


def test_a_new_booking_of_another_time_gets_a_new_key(client, world):
    fields = review(client, world)
    client.post(reverse("booking:confirm"), fields)

    other = review(client, world, hour=12)

    assert spent_key(other) != spent_key(fields)
    assert client.post(reverse("booking:confirm"), other).status_code == 302
    assert AppointmentRequest.objects.count() == 2


def test_replaying_spent_details_for_another_time_books_nothing_and_asks_again(client, world):
    fields = review(client, world)
    client.post(reverse("booking:confirm"), fields)

    replay = {**fields, "start": flow.start_format(at(world.day, 12))}
    response = client.post(reverse("booking:confirm"), replay)

    content = response.content.decode()
    assert response.status_code == 409
    assert "nothing more was booked" in content
    assert "Enter your details again" in content
    assert AppointmentRequest.objects.count() == 1


def test_replaying_spent_details_for_another_treatment_books_nothing(client, world):
    fields = review(client, world)
    client.post(reverse("booking:confirm"), fields)

    replay = {**fields, "treatment": world.follow_up.slug}
    response = client.post(reverse("booking:confirm"), replay)

    assert response.status_code == 409
    assert AppointmentRequest.objects.count() == 1


def test_the_database_holds_the_booking_key_only_as_a_hash(client, world):
    fields = review(client, world)
    client.post(reverse("booking:confirm"), fields)

    appointment = AppointmentRequest.objects.get()
    assert appointment.booking_key_hash == digest(spent_key(fields))


def test_service_refuses_a_second_booking_with_the_same_key_naming_the_first(world):
    now = timezone.now()
    key = booking_key_new()
    first = appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 9),
        patient=patient(),
        now=now,
        booking_key=key,
    )

    with pytest.raises(AlreadyBookedError) as refused:
        appointment_book(
            treatment=world.follow_up,
            practitioner=world.maya,
            starts_at=at(world.day, 11),
            patient=patient(),
            now=now,
            booking_key=key,
        )

    assert refused.value.appointment == first
    assert AppointmentRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_presses_at_the_same_instant_store_one_booking_and_both_see_it(clinic, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    world = make_world()
    world.slot(world.maya, 9, 13)
    # One browser, shown the review page: both presses carry its session cookie.
    browser = Client()
    session = browser.session
    session["booking_binding"] = "one-browser-binding"
    session.save()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    fields = {
        "treatment": world.dry_needling.slug,
        "practitioner": world.maya.slug,
        "start": flow.start_format(at(world.day, 10)),
        "details": signed_details(world.dry_needling, binding="one-browser-binding"),
    }
    barrier = threading.Barrier(2)
    answers = [None, None]

    def press(index):
        press_client = Client()
        press_client.cookies = browser.cookies
        try:
            barrier.wait(timeout=30)
            answers[index] = press_client.post(reverse("booking:confirm"), fields)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    appointment = AppointmentRequest.objects.get()
    assert [a.status_code for a in answers] == [302, 302]
    assert {a.url for a in answers} == {f"/book/booked/{appointment.reference}/"}


# --- signed details are bound to what they were given for ----------------------------------


def test_details_signed_for_a_treatment_without_screening_are_not_accepted_for_needling(
    client, world
):
    data = {
        "treatment": world.dry_needling.slug,
        "practitioner": world.maya.slug,
        "start": flow.start_format(at(world.day, 10)),
        "details": signed_details(world.follow_up, answers={}),
    }

    response = client.post(reverse("booking:confirm"), data)

    content = response.content.decode()
    assert response.status_code == 400
    assert "Your answers were given for another treatment" in content
    assert 'value="Sam Patel"' in content  # what can be kept is kept
    assert "I am pregnant, or could be" in content
    assert AppointmentRequest.objects.count() == 0


def test_choosing_a_nearest_time_after_a_clash_works_with_the_same_details(client, world):
    fields = review(client, world)
    appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(name="Quick Patient"),
        now=timezone.now(),
    )
    clash = client.post(reverse("booking:confirm"), fields)
    assert clash.status_code == 409
    offered = re.findall(r'name="alternative"[^>]*value="([^"]+)"', clash.content.decode())
    retry = re.search(r'name="details" value="([^"]+)"', clash.content.decode()).group(1)

    response = client.post(
        reverse("booking:confirm"),
        {**fields, "details": retry, "alternative": offered[0], "start": ""},
    )

    assert response.status_code == 302
    kept = AppointmentRequest.objects.get(patient_name="Robin Hale").answers
    assert kept_values(kept)["bleeding"] is True


def test_service_refuses_a_needle_booking_without_every_screening_answer(world):
    answers = dict.fromkeys(["pregnant", "bleeding", "needle_fear", "implant"], False)

    with pytest.raises(BookingError, match="“Have you had surgery or an infection at the area"):
        appointment_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=at(world.day, 10),
            patient=patient(answers=answers),  # no answer about recent surgery
            now=timezone.now(),
        )

    assert AppointmentRequest.objects.count() == 0


def test_service_refuses_a_needle_booking_with_no_screening_at_all(world):
    with pytest.raises(BookingError, match="answer every question of the form"):
        appointment_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=at(world.day, 10),
            patient=patient(answers={}),
            now=timezone.now(),
        )


def test_staff_phone_in_booking_of_needling_without_screening_answers_is_refused(world):
    # The phone-in form asks the same questions, so the service holds staff to them too.
    with pytest.raises(BookingError, match="answer every question of the form"):
        appointment_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=at(world.day, 10),
            patient=patient(answers={}),
            now=timezone.now(),
            source="staff",
            enforce_policy=False,
        )

    assert AppointmentRequest.objects.count() == 0


def test_honeypot_filled_on_the_review_page_books_nothing(client, world):
    fields = review(client, world)

    response = client.post(reverse("booking:confirm"), {**fields, "website": "http://spam"})

    assert response.status_code == 400
    assert AppointmentRequest.objects.count() == 0


def test_signed_details_younger_than_the_fill_time_are_asked_again_at_the_final_step(
    client, world, settings
):
    settings.BOOKING_MIN_FILL_SECONDS = 60
    data = {
        "treatment": world.dry_needling.slug,
        "practitioner": world.maya.slug,
        "start": flow.start_format(at(world.day, 10)),
        "details": details_sign(
            patient(), treatment=world.dry_needling.slug, key=booking_key_new(), started=time.time()
        ),
    }

    response = client.post(reverse("booking:confirm"), data)

    assert "Please check your answers and press Continue again." in response.content.decode()
    assert AppointmentRequest.objects.count() == 0


def test_expired_details_come_back_in_the_form_with_a_notice(client, world, monkeypatch):
    fields = review(client, world)
    later = time.time() + 3 * 60 * 60
    monkeypatch.setattr(time, "time", lambda: later)

    response = client.post(reverse("booking:confirm"), fields)

    content = response.content.decode()
    assert "more than two hours old, so nothing was booked" in content
    assert 'value="Robin Hale"' in content
    assert AppointmentRequest.objects.count() == 0


# --- the minimum fill time never traps a person --------------------------------------------


def test_a_fast_fill_is_asked_once_then_the_next_press_passes_at_once(client, world, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 60
    page = client.get(details_url(world)).content.decode()
    started = re.search(r'name="started" value="([^"]+)"', page).group(1)

    first = client.post(details_url(world), {**DETAILS, "started": started}, follow=True)
    again = re.search(r'name="started" value="([^"]+)"', first.content.decode()).group(1)
    second = client.post(details_url(world), {**DETAILS, "started": again}, follow=True)

    assert "Please check your answers and press Continue again." in first.content.decode()
    assert "Request this appointment" in second.content.decode()


def test_fill_time_message_stays_away_when_other_fields_need_fixing(client, world, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 60
    page = client.get(details_url(world)).content.decode()
    started = re.search(r'name="started" value="([^"]+)"', page).group(1)

    response = client.post(
        details_url(world), {**DETAILS, "name": "", "started": started}, follow=True
    )

    content = response.content.decode()
    assert "Enter your full name." in content
    assert "press Continue again" not in content
    fixed = re.search(r'name="started" value="([^"]+)"', content).group(1)
    passed = client.post(details_url(world), {**DETAILS, "started": fixed}, follow=True)
    assert "Request this appointment" in passed.content.decode()


# --- nothing typed is lost ---------------------------------------------------------------


def test_changing_the_time_from_the_review_keeps_every_detail(client, world):
    review(client, world)

    response = client.get(details_url(world, hour=12))

    content = response.content.decode()
    assert "We kept the details you entered" in content
    for value in ["Robin Hale", "robin@example.com", "07700 900555"]:
        assert f'value="{value}"' in content
    assert "Sore shoulder" in content
    assert re.search(r'name="intake-needle-safety"\s+value="bleeding"[^>]*\schecked>', content)
    assert not re.search(r'name="intake-needle-safety"\s+value="implant"[^>]*\schecked>', content)
    assert not re.search(r'name="intake-needle-safety-none"[^>]*\schecked>', content)
    assert re.search(r'name="patient_type" value="returning"[^>]*checked', content)
    assert re.search(r'name="consent"[^>]*checked', content)
    assert "Robin" not in response.request["QUERY_STRING"]


def test_changing_to_a_treatment_without_screening_keeps_the_contact_details(client, world):
    review(client, world)

    content = client.get(details_url(world, treatment=world.follow_up)).content.decode()

    assert 'value="robin@example.com"' in content
    assert "pacemaker" not in content


def test_the_kept_details_are_dropped_after_booking(client, world):
    client.post(reverse("booking:confirm"), review(client, world))

    content = client.get(details_url(world, hour=12)).content.decode()

    assert "robin@example.com" not in content


def test_nothing_typed_travels_in_any_link_of_the_review_page(client, world):
    response = client.post(details_url(world), DETAILS, follow=True)

    links = re.findall(r'href="([^"]+)"', response.content.decode())
    assert links
    assert not [link for link in links if "robin" in link.lower() or "0770" in link]


# --- a restored tab ---------------------------------------------------------------------


def test_get_of_the_confirm_step_after_booking_links_to_the_booking(client, world):
    client.post(reverse("booking:confirm"), review(client, world))
    appointment = AppointmentRequest.objects.get()

    response = client.get(reverse("booking:confirm"))

    assert response.status_code == 200
    assert reverse("booking:confirmed", kwargs={"reference": appointment.reference}) in (
        response.content.decode()
    )


def test_the_review_page_is_a_get_that_keeps_its_key_when_reloaded(client, world):
    response = client.post(details_url(world), DETAILS)
    assert response.status_code == 303
    first = client.get(response.url).content.decode()
    again = client.get(response.url).content.decode()

    key = re.search(r'name="details" value="([^"]+)"', first).group(1)
    key_again = re.search(r'name="details" value="([^"]+)"', again).group(1)
    assert details_unsign(key).key == details_unsign(key_again).key


def test_back_to_the_review_page_after_booking_and_pressing_again_shows_the_booking(client, world):
    review_url = client.post(details_url(world), DETAILS).url
    fields = review(client, world)
    client.post(reverse("booking:confirm"), fields)
    appointment = AppointmentRequest.objects.get()

    back = client.get(review_url).content.decode()
    again = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', back))
    again.pop("csrfmiddlewaretoken", None)
    response = client.post(reverse("booking:confirm"), again)

    assert f"You booked appointment <strong>{appointment.reference}</strong>" in back
    assert response.status_code == 302
    assert response.url == f"/book/booked/{appointment.reference}/"
    assert AppointmentRequest.objects.count() == 1


def test_the_review_page_without_details_asks_for_them(client, world):
    response = client.get(
        flow.url(
            "booking:review",
            **{
                "treatment": "dry-needling",
                "practitioner": "maya-okafor",
                "start": flow.start_format(at(world.day, 10)),
            },
        )
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("booking:details"))


def test_continue_pressed_twice_on_the_details_page_gives_one_key(client, world):
    first = review(client, world)
    second = review(client, world)

    assert spent_key(first) == spent_key(second)


NASTY = ["\x00", "x" * 5000, "' OR 1=1 --", "<script>", "99999999999999999999", "💉"]


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize(
    "field", ["treatment", "practitioner", "with", "start", "details", "alternative", "website"]
)
def test_nasty_values_in_the_final_post_get_a_page_and_book_nothing(client, world, field, value):
    fields = review(client, world)

    response = client.post(reverse("booking:confirm"), {**fields, field: value})

    assert response.status_code in {200, 302, 400, 409}
    if field in {"website", "details", "treatment", "practitioner", "start"}:
        assert AppointmentRequest.objects.count() == 0


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize("key", ["treatment", "practitioner", "with", "start"])
def test_nasty_values_on_the_review_page_get_a_page(client, world, key, value):
    review(client, world)
    params = {
        "treatment": "dry-needling",
        "practitioner": "maya-okafor",
        "start": flow.start_format(at(world.day, 10)),
        key: value,
    }

    response = client.get(reverse("booking:review"), params)

    assert response.status_code in {200, 302, 400}


def test_a_patients_session_with_typed_details_ends_within_two_hours(client, world):
    review(client, world)

    assert client.session.get_expiry_age() <= 2 * 60 * 60


# --- nothing typed lies readable in the session table --------------------------------------


def test_the_session_table_holds_the_draft_encrypted_and_it_still_comes_back(client, world):
    from django.contrib.sessions.models import Session

    review(client, world)

    raw = "\n".join(
        session.get_decoded().__repr__() + session.session_data for session in Session.objects.all()
    )
    assert "Robin" not in raw and "07700" not in raw and "Sore shoulder" not in raw
    assert "screening" not in raw and "bleeding" not in raw
    # Back to the details step: everything typed is there again.
    page = client.get(details_url(world)).content.decode()
    assert 'value="Robin Hale"' in page
