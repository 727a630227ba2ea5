"""The waitlist's pages and "find my booking", through Django's test client."""

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import flow
from booking.forms import fill_token_new
from booking.models import (
    Notification,
    NotificationKind,
    WaitlistEntry,
)
from booking.models import WaitlistEntryStatus as Entry
from booking.services import appointment_book
from tests.booking.booking_world import at, make_world, patient, signed_details
from tests.booking.waitlist_world import IMMEDIATE_TASKS, entry_token, join

pytestmark = pytest.mark.django_db

JOIN = reverse("booking:waitlist_join")
FIND = reverse("booking:find")


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    settings.BOOKING_LOOKUP_RATE_LIMITS = {"ip": (0, 3600)}
    settings.BOOKING_MIN_FILL_SECONDS = 3
    # "Find my booking" hands each request to the task queue; run it at once here.
    settings.TASKS = IMMEDIATE_TASKS
    world = make_world()
    world.slot(world.tom, 9, 13)
    return world


def join_data(world, **changes) -> dict:
    data = {
        "treatment": world.follow_up.slug,
        "practitioner": world.tom.slug,
        "first_day": world.day.isoformat(),
        "last_day": (world.day + timedelta(days=2)).isoformat(),
        "times_of_day": ["mornings", "evenings"],
        "name": "Ann One",
        "email": "Ann@Example.com",
        "phone": "07700 900123",
        "patient_type": "returning",
        "reason": "Sore knee",
        "consent": "on",
        "website": "",
        "started": fill_token_new(time.time() - 60),
    }
    data.update(changes)
    return data


# --- Joining --------------------------------------------------------------------------------


def test_the_time_picker_offers_the_waitlist_with_the_choice_and_week(client, world):
    response = client.get(
        flow.url("booking:time", treatment=world.follow_up.slug, practitioner=world.tom.slug)
    )

    text = response.content.decode()
    assert "None of these times work?" in text
    assert (
        f"/book/waitlist/?treatment={world.follow_up.slug}&amp;practitioner={world.tom.slug}"
        in text
    )


def test_a_time_just_taken_offers_the_waitlist_too(client, world):
    starts_at = at(world.day, 10)
    appointment_book(
        treatment=world.follow_up,
        practitioner=world.tom,
        starts_at=starts_at,
        patient=patient(email="quick@example.com"),
        now=timezone.now(),
    )

    response = client.post(
        reverse("booking:confirm"),
        {
            "treatment": world.follow_up.slug,
            "practitioner": world.tom.slug,
            "start": flow.start_format(starts_at),
            "details": signed_details(world.follow_up),
        },
    )

    assert response.status_code == 409
    assert "Join the waitlist" in response.content.decode()


def test_the_join_form_starts_from_the_choice_in_the_query(client, world):
    response = client.get(
        JOIN,
        {
            "treatment": world.follow_up.slug,
            "practitioner": world.tom.slug,
            "week": world.day.isoformat(),
        },
    )

    form = response.context["form"]
    assert form.initial["treatment"] == world.follow_up.slug
    assert form.initial["practitioner"] == world.tom.slug
    assert form.initial["first_day"] == world.day
    assert form.initial["last_day"] == world.day + timedelta(days=13)


def test_joining_puts_the_patient_on_the_list_and_shows_the_place(client, world):
    response = client.post(JOIN, join_data(world))

    entry = WaitlistEntry.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse(
        "booking:waitlist_entry", kwargs={"reference": entry.reference}
    )
    assert (entry.email, entry.practitioner, entry.status) == (
        "ann@example.com",
        world.tom,
        Entry.WAITING,
    )
    assert (entry.mornings, entry.afternoons, entry.evenings) == (True, False, True)
    assert entry.patient.name == "Ann One"
    assert Notification.objects.get().kind == NotificationKind.WAITLIST_JOINED
    page = client.get(response["Location"]).content.decode()
    assert "You are on the waitlist." in page
    assert entry.reference in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"last_day": "2000-01-01"}, "last_day", "cannot be in the past"),
        ({"first_day": "31/02/2027"}, "first_day", "Enter a real date"),
        ({"times_of_day": []}, "times_of_day", "Choose at least one time of day."),
        ({"practitioner": "nobody"}, "practitioner", "Choose a practitioner from the list"),
        ({"consent": ""}, "consent", "so we can put you on the waitlist"),
        ({"email": "not-an-address"}, "email", "Enter an e-mail address like"),
    ],
)
def test_a_mistake_is_shown_next_to_its_field_and_nothing_is_saved(
    client, world, changes, field, message
):
    response = client.post(JOIN, join_data(world, **changes))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert WaitlistEntry.objects.count() == 0


def test_a_practitioner_who_does_not_offer_the_treatment_is_refused(client, world):
    response = client.post(
        JOIN, join_data(world, treatment=world.massage.slug, practitioner=world.tom.slug)
    )

    assert "Tom Lindqvist does not offer Massage therapy" in response.content.decode()
    assert WaitlistEntry.objects.count() == 0


def test_a_bot_filling_the_hidden_field_joins_nothing(client, world):
    response = client.post(JOIN, join_data(world, website="https://spam.example"))

    assert response.status_code == 400
    assert WaitlistEntry.objects.count() == 0


def test_a_form_sent_back_faster_than_a_person_types_is_asked_again_then_accepted(client, world):
    fast = join_data(world, started=fill_token_new())

    first = client.post(JOIN, fast)

    assert "Please check your answers and press Join the waitlist again." in first.content.decode()
    assert WaitlistEntry.objects.count() == 0
    again = join_data(world, started=first.context["form"].data["started"])
    assert client.post(JOIN, again).status_code == 303


def test_joining_is_limited_like_booking_and_keeps_what_was_typed(client, world, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 3600), "email": (0, 3600)}
    client.post(JOIN, join_data(world))

    response = client.post(JOIN, join_data(world, email="ben@example.com"))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "ben@example.com" in response.content.decode()
    assert WaitlistEntry.objects.count() == 1


@pytest.mark.parametrize("value", ["\x00", "x" * 5000, "9" * 40, "letters", "-1"])
def test_hostile_values_in_every_field_and_parameter_never_fail(client, world, value):
    # Free-text fields may take some of these (a reason of "letters"); nothing may fail.
    fields = join_data(world)
    for name in fields:
        response = client.post(JOIN, join_data(world, **{name: value}))
        assert response.status_code in (200, 303, 400), (name, response.status_code)
    for name in ("treatment", "practitioner", "week", "change", "with", "start"):
        assert client.get(JOIN, {name: value}).status_code == 200
    assert client.post(FIND, {"email": value}).status_code == 200
    assert client.get(FIND, {"sent": value}).status_code == 200
    assert WaitlistEntry.objects.filter(email="ann@example.com").count() <= 1


# --- A place on the list ---------------------------------------------------------------------


@pytest.fixture
def entry(world):
    return join(world, "Ann One", now=timezone.now(), email="ann@example.com")


def open_place(client, entry):
    link = reverse("booking:waitlist_link", kwargs={"token": entry_token(entry)})
    response = client.get(link)
    assert response.status_code == 302
    return response["Location"]


def test_the_private_link_is_swapped_for_a_clean_address(client, entry):
    page = open_place(client, entry)

    assert page == reverse("booking:waitlist_entry", kwargs={"reference": entry.reference})
    response = client.get(page)
    assert response.status_code == 200
    assert entry_token(entry) not in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_place_needs_its_link_in_this_browser(client, entry):
    response = client.get(reverse("booking:waitlist_entry", kwargs={"reference": entry.reference}))

    assert response.status_code == 403
    assert "Please open your waitlist place from your e-mail" in response.content.decode()


def test_opening_the_leave_page_leaves_nothing_and_the_button_leaves(client, entry):
    open_place(client, entry)
    leave = reverse("booking:waitlist_leave", kwargs={"reference": entry.reference})

    assert client.get(leave).status_code == 200
    entry.refresh_from_db()
    assert entry.status == Entry.WAITING
    response = client.post(leave)
    entry.refresh_from_db()
    assert entry.status == Entry.LEFT
    assert "You have left the waitlist." in client.get(response["Location"]).content.decode()


def test_changing_the_days_starts_from_the_place_and_keeps_it(client, world, entry):
    open_place(client, entry)

    form = client.get(JOIN, {"change": entry.reference}).context["form"]

    assert form.initial["name"] == "Ann One"
    assert form.initial["email"] == "ann@example.com"
    assert form.initial["first_day"] == world.day
    data = {**join_data(world), **{"email": "ann@example.com", "times_of_day": ["evenings"]}}
    client.post(JOIN, data)
    entry.refresh_from_db()
    assert WaitlistEntry.objects.count() == 1
    assert (entry.mornings, entry.evenings) == (False, True)


def test_another_browser_cannot_start_a_change_from_a_place(client, entry):
    form = client.get(JOIN, {"change": entry.reference}).context["form"]

    assert "name" not in form.initial


def test_the_place_shows_times_free_now_that_fit_it(client, world, entry):
    response = client.get(open_place(client, entry))

    assert "Free now on your days" in response.content.decode()
    assert response.context["free_now"]


# --- Find my booking ----------------------------------------------------------------------------


@pytest.fixture
def booked(world):
    return appointment_book(
        treatment=world.follow_up,
        practitioner=world.tom,
        starts_at=at(world.day, 10),
        patient=patient(email="sam.patel@example.com"),
        now=timezone.now(),
    )


def ask(client, email):
    """POST an address, then GET the page the answer leads to; (answer, page text)."""
    response = client.post(FIND, {"email": email})
    if response.status_code != 303:
        return response, response.content.decode()
    # Each form has a fresh CSRF token; everything else must be the same.
    page = client.get(response["Location"]).content.decode()
    return response, re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def links_emails():
    return list(
        Notification.objects.filter(kind=NotificationKind.BOOKING_LINKS)
        .order_by("pk")
        .values_list("email", flat=True)
    )


def test_find_my_booking_answers_a_known_and_an_unknown_address_alike(client, booked, entry):
    known, known_page = ask(client, "Sam.Patel@example.com")
    unknown, unknown_page = ask(client, "stranger@example.com")

    assert known.status_code == unknown.status_code == 303
    assert known["Location"] == unknown["Location"]
    assert known_page == unknown_page
    assert "If we have bookings for that address, we are sending it their private links" in (
        known_page
    )


def test_find_my_booking_emails_only_a_known_address(client, booked, entry):
    ask(client, "Sam.Patel@example.com")
    ask(client, "stranger@example.com")
    ask(client, "ann@example.com")  # on the waitlist only

    assert links_emails() == ["sam.patel@example.com", "ann@example.com"]


def test_the_links_email_lists_the_appointments_and_places_with_their_private_links(
    client, booked, world, mailoutbox, settings
):
    from booking.emails import deliver_notification
    from booking.links import manage_url, waitlist_url

    settings.SITE_URL = "https://clinic.example"
    place = join(
        world,
        "Sam Patel",
        now=timezone.now(),
        treatment=world.massage,
        email="sam.patel@example.com",
    )
    ask(client, "sam.patel@example.com")

    deliver_notification(notification_id=Notification.objects.get(email__gt="").pk)

    [mail] = mailoutbox
    assert mail.to == ["sam.patel@example.com"]
    assert manage_url(booked) in mail.body
    assert waitlist_url(place) in mail.body
    assert "Stiff neck" not in mail.body


def test_an_address_asked_about_again_within_the_spacing_gets_one_email_and_the_same_answer(
    client, booked, settings
):
    settings.BOOKING_LOOKUP_EMAIL_MINUTES = 15
    answers = [ask(client, "sam.patel@example.com") for _ in range(3)]

    assert len(links_emails()) == 1
    assert {response.status_code for response, _ in answers} == {303}
    assert len({page for _, page in answers}) == 1
    assert "one such e-mail every 15 minutes" in answers[0][1]


def test_the_owner_asking_after_the_spacing_gets_another_email(client, booked, settings):
    settings.BOOKING_LOOKUP_EMAIL_MINUTES = 15
    ask(client, "sam.patel@example.com")
    Notification.objects.filter(kind=NotificationKind.BOOKING_LINKS).update(
        created_at=timezone.now() - timedelta(minutes=16)
    )

    ask(client, "sam.patel@example.com")

    assert len(links_emails()) == 2


def test_asking_about_an_address_without_bookings_uses_up_nothing_of_its_allowance(
    client, world, settings
):
    for _ in range(5):
        ask(client, "later@example.com")
    appointment_book(
        treatment=world.follow_up,
        practitioner=world.tom,
        starts_at=at(world.day, 11),
        patient=patient(email="later@example.com"),
        now=timezone.now(),
    )

    ask(client, "later@example.com")

    assert links_emails() == ["later@example.com"]


def test_one_client_asking_too_often_is_told_to_wait(client, booked, settings):
    settings.BOOKING_LOOKUP_RATE_LIMITS = {"ip": (2, 3600)}
    ask(client, "a@example.com")
    ask(client, "b@example.com")

    response, _ = ask(client, "sam.patel@example.com")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert links_emails() == []


def test_an_address_that_is_not_one_is_shown_next_to_the_field(client, world):
    response, page = ask(client, "not an address")

    assert response.status_code == 200
    assert "Enter an e-mail address like name@example.com." in page
    assert links_emails() == []


def test_find_my_booking_does_the_same_work_for_a_known_and_an_unknown_address(
    client, booked, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The real queue: the page only puts the request on it, whoever is asked about.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    shapes = []
    for address in ("sam.patel@example.com", "stranger@example.com"):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(FIND, {"email": address})
        assert response.status_code == 303
        shapes.append([re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries])

    assert shapes[0] == shapes[1]
    assert not any("booking_appointmentrequest" in sql for sql in shapes[0])
    assert links_emails() == []  # nothing is sent until the worker runs the task
