"""The booking flow through Django's test client: no JavaScript, as a form-only browser."""

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import flow
from booking.links import manage_token
from booking.models import AppointmentRequest, AppointmentStatus, TimeSlot
from booking.services import appointment_book
from tests.booking.booking_world import at, make_world, patient, signed_details
from tests.booking.intake_world import SAFETY_KEYS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0


@pytest.fixture
def world(clinic):
    world = make_world()
    world.slot(world.maya, 9, 13)
    return world


def details_url(world, hour=10, minute=0, treatment=None, practitioner=None):
    return flow.url(
        "booking:details",
        treatment=(treatment or world.dry_needling).slug,
        practitioner=(practitioner or world.maya).slug,
        start=flow.start_format(at(world.day, hour, minute)),
    )


def details_data(**fields):
    data = {
        "name": "Sam Patel",
        "email": "sam.patel@example.com",
        "phone": "07700 900123",
        "patient_type": "new",
        "reason": "Stiff neck",
        "consent": "on",
        "website": "",
    }
    # The needle safety form, asked as one list: safety_<key>="yes" ticks that statement;
    # none ticked is "None of these apply to me".
    ticked = [key for key in sorted(SAFETY_KEYS) if fields.pop(f"safety_{key}", "") == "yes"]
    data.update(
        {"intake-needle-safety": ticked, "intake-needle-safety-none": "" if ticked else "on"}
    )
    data.update(fields)
    return data


def confirm_data(world, hour=10, minute=0, treatment=None, practitioner=None, **details):
    return {
        "treatment": (treatment or world.dry_needling).slug,
        "practitioner": (practitioner or world.maya).slug,
        "start": flow.start_format(at(world.day, hour, minute)),
        "details": signed_details(treatment or world.dry_needling, **details),
    }


# --- choosing -------------------------------------------------------------------


def test_start_page_lists_active_treatments_as_choices(client, world):
    response = client.get(reverse("booking:start"))

    assert response.status_code == 200
    assert b"Dry needling" in response.content
    assert b"Massage therapy" in response.content


def test_treatment_deep_link_goes_to_the_practitioner_step(client, world):
    response = client.get(reverse("booking:start"), {"treatment": "dry-needling"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("booking:practitioner"))
    assert "treatment=dry-needling" in response.url


def test_treatment_and_practitioner_deep_link_goes_to_the_times(client, world):
    response = client.get(
        reverse("booking:start"), {"treatment": "dry-needling", "practitioner": "maya-okafor"}
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("booking:time"))


def test_practitioner_deep_link_lists_only_their_treatments(client, world):
    response = client.get(reverse("booking:start"), {"practitioner": "tom-lindqvist"})

    assert b"Physiotherapy follow-up" in response.content
    assert b"Massage therapy" not in response.content
    assert b'name="practitioner" value="tom-lindqvist"' in response.content


def test_unknown_treatment_in_a_link_gets_a_message_not_an_error(client, world):
    response = client.get(reverse("booking:start"), {"treatment": "brain-surgery"})

    assert response.status_code == 200
    assert b"We could not find that treatment" in response.content


def test_practitioner_who_does_not_offer_the_treatment_is_refused(client, world):
    response = client.get(
        reverse("booking:time"), {"treatment": "massage-therapy", "practitioner": "tom-lindqvist"}
    )

    assert response.status_code == 400
    assert b"does not offer Massage therapy" in response.content


def test_time_picker_shows_free_times_in_clinic_time_as_links(client, world):
    response = client.get(
        reverse("booking:time"), {"treatment": "dry-needling", "practitioner": "maya-okafor"}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "London time" in content
    assert (
        '>\n                <span class="visually-hidden">' in content or "booking-time" in content
    )
    assert f"{world.day:%A} {world.day.day} {world.day:%B}" in content
    assert flow.start_format(at(world.day, 9)) in content
    assert flow.start_format(at(world.day, 12, 15)) in content  # 45 min ends 13:00
    assert flow.start_format(at(world.day, 12, 30)) not in content


def test_time_picker_hides_times_held_by_an_appointment_and_its_buffer(client, world):
    appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(),
        now=timezone.now(),
    )

    content = client.get(
        reverse("booking:time"), {"treatment": "dry-needling", "practitioner": "maya-okafor"}
    ).content.decode()

    assert flow.start_format(at(world.day, 9)) in content
    for taken in [(9, 15), (10, 0), (10, 45)]:  # 09:15 would run into 10:00
        assert flow.start_format(at(world.day, *taken)) not in content
    assert flow.start_format(at(world.day, 11)) in content


def test_first_available_offers_times_of_every_practitioner(client, world):
    world.slot(world.tom, 14, 16)

    content = client.get(
        reverse("booking:time"), {"treatment": "dry-needling", "practitioner": "any"}
    ).content.decode()

    assert flow.start_format(at(world.day, 9)) in content
    assert flow.start_format(at(world.day, 14)) in content
    assert "with=tom-lindqvist" in content


def test_week_navigation_links_keep_the_choices(client, world):
    world.slot(world.maya, 9, 13, day=world.day + timedelta(days=8))
    content = client.get(
        reverse("booking:time"), {"treatment": "dry-needling", "practitioner": "maya-okafor"}
    ).content.decode()

    later = re.search(
        r'href="([^"]*week=[^"]*)"[^>]*><span class="visually-hidden">Later times', content
    )
    assert later is not None
    assert "treatment=dry-needling" in later.group(1)
    assert "practitioner=maya-okafor" in later.group(1)


# --- details and review ------------------------------------------------------------


def test_details_form_asks_screening_questions_for_needle_treatments(client, world):
    content = client.get(details_url(world)).content.decode()

    assert "I am pregnant, or could be" in content
    assert "pacemaker" in content and "None of these apply to me" in content


def test_details_form_skips_screening_for_other_treatments(client, world):
    content = client.get(details_url(world, treatment=world.follow_up)).content.decode()

    assert "pacemaker" not in content


def test_details_for_a_time_no_longer_free_go_back_to_the_times(client, world):
    TimeSlot.objects.update(is_blocked=True)

    response = client.get(details_url(world))

    assert response.status_code == 302
    assert response.url.startswith(reverse("booking:time"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your full name."),
        ("name", "x" * 121, "at most 120 characters"),
        ("email", "not-an-email", "Enter an e-mail address like"),
        ("phone", "call me", "Enter a phone number of 7 to 20 digits"),
        ("phone", "123", "Enter a phone number of 7 to 20 digits"),
        ("reason", "x" * 2001, "under 2,000 characters"),
        ("consent", "", "Please agree to the privacy notice"),
        ("patient_type", "maybe", "Select a valid choice"),
        (
            "intake-needle-safety-none",
            "",
            "Tick each one that applies to you, or “None of these apply",
        ),
        (
            "intake-needle-safety",
            "pregnant",
            "You ticked “None of these apply to me” and one that applies",
        ),
    ],
)
def test_bad_details_are_shown_next_to_the_field_and_typed_text_kept(
    client, world, field, value, message
):
    data = details_data(**{field: value, "reason": "Sore left shoulder"})
    if field == "reason":
        data["reason"] = value

    response = client.post(details_url(world), data, follow=True)

    content = response.content.decode()
    # The mistakes come back on a GET page (Back never asks to resend the form).
    assert [status for _url, status in response.redirect_chain] == [303]
    assert response.status_code == 200 and "check=1" in response.redirect_chain[0][0]
    assert message in content
    assert 'value="sam.patel@example.com"' in content or field == "email"
    assert AppointmentRequest.objects.count() == 0


def test_a_reason_typed_up_to_its_limit_with_line_breaks_is_accepted(client, world):
    # The browser counts each line break once against maxlength="2000", and sends it as CRLF.
    typed = "\n".join(["Sore left shoulder since a fall on the stairs."] * 50)[:2000]
    assert len(typed) == 2000 and typed.count("\n") > 40

    response = client.post(
        details_url(world), details_data(reason=typed.replace("\n", "\r\n")), follow=True
    )

    content = response.content.decode()
    assert "under 2,000 characters" not in content
    assert "Request this appointment" in content


def test_valid_details_show_the_review_with_everything_typed(client, world):
    response = client.post(details_url(world), details_data(safety_bleeding="yes"), follow=True)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Request this appointment" in content
    assert "Sam Patel" in content and "sam.patel@example.com" in content
    assert "the clinic may phone you before the visit" in content
    assert AppointmentRequest.objects.count() == 0


def test_change_details_from_the_review_prefills_the_form(client, world):
    review = client.post(details_url(world), details_data(name="Robin Hale"), follow=True)
    signed = re.search(r'name="details" value="([^"]+)"', review.content.decode()).group(1)

    response = client.post(details_url(world), {"details": signed, "edit": "1"})

    assert 'value="Robin Hale"' in response.content.decode()


def test_honeypot_filled_in_is_refused_without_a_booking(client, world):
    response = client.post(details_url(world), details_data(website="http://spam.example"))

    assert response.status_code == 400
    assert AppointmentRequest.objects.count() == 0


def test_form_sent_back_too_fast_is_asked_again(client, world, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 60
    form_page = client.get(details_url(world)).content.decode()
    started = re.search(r'name="started" value="([^"]+)"', form_page).group(1)

    response = client.post(details_url(world), details_data(started=started), follow=True)

    assert "Please check your answers and press Continue again." in response.content.decode()
    assert "Request this appointment" not in response.content.decode()
    # The page asking again carries the note that it asked: the next press goes through.
    again = re.search(r'name="started" value="([^"]+)"', response.content.decode()).group(1)
    follow = client.post(details_url(world), details_data(started=again), follow=True)
    assert "Request this appointment" in follow.content.decode()


def test_form_filled_at_a_human_pace_passes_the_fill_time_check(client, world, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 1
    started = re.search(
        r'name="started" value="([^"]+)"', client.get(details_url(world)).content.decode()
    ).group(1)
    time.sleep(1.1)

    response = client.post(details_url(world), details_data(started=started), follow=True)

    assert "Request this appointment" in response.content.decode()


# --- confirming ---------------------------------------------------------------------------


def test_confirm_books_and_redirects_to_the_confirmation_page(client, world):
    response = client.post(reverse("booking:confirm"), confirm_data(world))

    appointment = AppointmentRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("booking:confirmed", kwargs={"reference": appointment.reference})
    page = client.get(response.url)
    content = page.content.decode()
    assert appointment.reference in content
    assert (
        reverse("booking:appointment_ics", kwargs={"reference": appointment.reference}) in content
    )
    assert reverse("booking:manage", kwargs={"token": manage_token(appointment)}) in content
    assert appointment.status == AppointmentStatus.REQUESTED
    assert appointment.privacy_notice_version == "2026-11"


def test_first_available_booking_goes_to_the_chosen_practitioner(client, world):
    world.slot(world.tom, 14, 16)
    data = confirm_data(world, 14)
    data.update(practitioner="any", **{"with": "tom-lindqvist"})

    client.post(reverse("booking:confirm"), data)

    assert AppointmentRequest.objects.get().practitioner == world.tom


def test_time_just_taken_keeps_details_and_offers_nearest_times(client, world):
    appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(name="First"),
        now=timezone.now(),
    )

    response = client.post(
        reverse("booking:confirm"), confirm_data(world, 10, name="Second Patient")
    )

    content = response.content.decode()
    assert response.status_code == 409
    assert "someone booked that time a moment before you" in content
    assert "Second Patient" in content
    assert 'name="alternative"' in content
    assert AppointmentRequest.objects.count() == 1


def test_picking_a_nearest_time_after_a_clash_books_it(client, world):
    data = confirm_data(world, 10)
    data["alternative"] = f"maya-okafor|{flow.start_format(at(world.day, 11))}"

    response = client.post(reverse("booking:confirm"), data)

    assert response.status_code == 302
    assert AppointmentRequest.objects.get().starts_at == at(world.day, 11)


def test_tampered_details_are_refused_with_a_friendly_page(client, world):
    data = confirm_data(world)
    data["details"] = data["details"][:-3] + "abc"

    response = client.post(reverse("booking:confirm"), data)

    assert response.status_code == 400
    assert b"Please enter your details again" in response.content
    assert AppointmentRequest.objects.count() == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"start": "not-a-time"},
        {"start": "20991301T1000Z"},
        {"treatment": "nope"},
        {"practitioner": "nobody"},
        {"treatment": ""},
        {"start": "19990101T1000Z"},
    ],
)
def test_tampered_choice_on_confirm_never_books_or_fails(client, world, changes):
    data = confirm_data(world)
    data.update(changes)

    response = client.post(reverse("booking:confirm"), data)

    assert response.status_code in {302, 400, 409}
    assert response.status_code != 302 or response.url.startswith(reverse("booking:time"))
    assert AppointmentRequest.objects.count() == 0


def test_time_outside_the_slots_is_refused_on_confirm(client, world):
    response = client.post(reverse("booking:confirm"), confirm_data(world, 15))

    assert response.status_code == 400
    assert b"is not available at that time" in response.content
    assert AppointmentRequest.objects.count() == 0


def test_confirm_opened_with_get_leads_back_into_the_flow(client, world):
    response = client.get(reverse("booking:confirm"))

    assert response.status_code == 200
    assert f'href="{reverse("booking:start")}"' in response.content.decode()


def test_rate_limit_per_email_stops_a_flood(client, world, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (2, 3600)}
    for hour in (9, 10):
        client.post(reverse("booking:confirm"), confirm_data(world, hour))

    response = client.post(reverse("booking:confirm"), confirm_data(world, 11))

    assert response.status_code == 429
    booked = AppointmentRequest.objects.values_list("starts_at", flat=True)
    assert sorted(booked) == [at(world.day, 9), at(world.day, 10)]  # nothing at 11


def test_rate_limit_per_ip_stops_a_flood(client, world, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 3600), "email": (0, 3600)}
    client.post(reverse("booking:confirm"), confirm_data(world, 9, email="a@example.com"))

    response = client.post(
        reverse("booking:confirm"), confirm_data(world, 11, email="b@example.com")
    )

    assert response.status_code == 429
    assert b"so this one was not sent" in response.content
    assert list(AppointmentRequest.objects.values_list("email", flat=True)) == ["a@example.com"]


def test_confirmation_wording_is_the_same_whoever_the_email_belongs_to(client, world):
    appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 11),
        patient=patient(email="known@example.com"),
        now=timezone.now(),
    )
    first = client.post(
        reverse("booking:confirm"), confirm_data(world, 9, email="known@example.com")
    )
    second = client.post(
        reverse("booking:confirm"), confirm_data(world, 12, email="new@example.com")
    )

    def words(response):
        text = client.get(response.url).content.decode()
        return re.sub(r"<[^>]+>|[A-Z0-9]{4}-[A-Z0-9]{4}|book/\S+|\d{1,2}:\d\d|\s+", " ", text)

    assert words(first).replace("known@", "x@") == words(second).replace("new@", "x@")


# --- manage link --------------------------------------------------------------------------


@pytest.fixture
def booked(world):
    return appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(),
        now=timezone.now(),
    )


def open_link(client, appointment) -> str:
    """Open the private link as from the e-mail; returns the clean address it leads to."""
    response = client.get(reverse("booking:manage", kwargs={"token": manage_token(appointment)}))
    assert response.status_code == 302
    return response.url


def test_manage_page_shows_the_appointment_with_cancel_and_change(client, booked):
    response = client.get(open_link(client, booked))

    content = response.content.decode()
    assert booked.reference in content
    assert "Cancel the appointment" in content and "Change the time" in content
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in content


def test_get_on_the_cancel_page_only_asks(client, booked):
    open_link(client, booked)
    response = client.get(reverse("booking:cancel", kwargs={"reference": booked.reference}))

    assert b"Yes, cancel the appointment" in response.content
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.REQUESTED


def test_post_on_the_cancel_page_cancels_and_frees_the_time(client, world, booked):
    open_link(client, booked)
    client.post(reverse("booking:cancel", kwargs={"reference": booked.reference}))

    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED_BY_PATIENT
    response = client.post(reverse("booking:confirm"), confirm_data(world, 10, name="Next"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (AppointmentStatus.CANCELLED_BY_PATIENT, "You cancelled this appointment."),
        (AppointmentStatus.CANCELLED_BY_CLINIC, "The clinic cancelled this appointment."),
        (AppointmentStatus.DECLINED, "We could not offer you this appointment."),
    ],
)
def test_a_closed_appointment_says_what_happened_in_a_sentence(client, booked, status, sentence):
    AppointmentRequest.objects.filter(pk=booked.pk).update(status=status)
    manage = client.get(open_link(client, booked)).content.decode()
    cancel = client.get(reverse("booking:cancel", kwargs={"reference": booked.reference}))

    assert sentence in manage and sentence in cancel.content.decode()
    assert "cancelled by patient" not in manage.lower()  # staff words, not theirs
    response = client.post(reverse("booking:cancel", kwargs={"reference": booked.reference}))
    assert sentence in client.get(response.url).content.decode()


def test_inside_the_late_window_the_page_shows_the_phone_not_the_buttons(client, world, clinic):
    soon = (timezone.now() + timedelta(hours=5)).replace(second=0, microsecond=0)
    soon += timedelta(minutes=-soon.minute % 15)
    TimeSlot.objects.create(
        practitioner=world.maya, starts_at=soon, ends_at=soon + timedelta(hours=1)
    )
    appointment = appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=soon,
        patient=patient(),
        now=timezone.now(),
    )

    content = client.get(open_link(client, appointment)).content.decode()

    assert "Cancel the appointment" not in content
    assert clinic.phone in content
    response = client.post(reverse("booking:cancel", kwargs={"reference": appointment.reference}))
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert response.status_code == 302


def test_manage_link_expires_after_the_appointment(client, booked):
    AppointmentRequest.objects.filter(pk=booked.pk).update(
        starts_at=timezone.now() - timedelta(hours=2),
        ends_at=timezone.now() - timedelta(hours=1),
        occupied_until=timezone.now() - timedelta(hours=1),
    )

    response = client.get(reverse("booking:manage", kwargs={"token": manage_token(booked)}))

    assert response.status_code == 410
    assert b"This link no longer works" in response.content


def test_unknown_manage_token_is_not_found(client, world):
    response = client.get(reverse("booking:manage", kwargs={"token": "x" * 43}))

    assert response.status_code == 404


def test_reschedule_moves_the_booking_after_a_confirmation_step(client, world, booked):
    open_link(client, booked)
    url = reverse("booking:reschedule", kwargs={"reference": booked.reference})
    new = flow.start_format(at(world.day, 11, 30))

    assert new in client.get(url).content.decode()
    ask = client.get(url, {"start": new})
    assert b"Yes, move it to this time" in ask.content
    booked.refresh_from_db()
    assert booked.starts_at == at(world.day, 10)

    client.post(url, {"start": new})

    booked.refresh_from_db()
    assert booked.starts_at == at(world.day, 11, 30)


def test_reschedule_to_a_taken_time_keeps_the_old_one(client, world, booked):
    appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 12),
        patient=patient(name="Other"),
        now=timezone.now(),
    )
    open_link(client, booked)
    url = reverse("booking:reschedule", kwargs={"reference": booked.reference})

    response = client.post(url, {"start": flow.start_format(at(world.day, 12))}, follow=True)

    booked.refresh_from_db()
    assert booked.starts_at == at(world.day, 10)
    assert b"booked by someone else" in response.content


def test_calendar_download_is_an_ics_file(client, booked):
    response = client.get(reverse("booking:ics", kwargs={"token": manage_token(booked)}))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in response.content


def test_cancel_confirmation_page_keeps_the_origin_header_for_csrf(client, booked):
    open_link(client, booked)
    response = client.get(reverse("booking:cancel", kwargs={"reference": booked.reference}))

    # "no-referrer" would make browsers send Origin: null and fail the CSRF check.
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_back_to_treatments_shows_the_earlier_choice_selected(client, world):
    response = client.get(reverse("booking:start"), {"treatment": "dry-needling", "change": "1"})

    content = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'value="dry-needling"[^>]*checked', content)
