"""A patient books a course through the booking flow (Django's test client: no JavaScript).

The world: dry needling offered as four weekly sessions, Maya free 09:00-13:00
on world.day and the same weekday for the three weeks after. The patient
chooses 10:00; tests that need a session taken book it first.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import flow
from booking.models import AppointmentRequest, AppointmentStatus, Confirmation, Course
from booking.services import appointment_book, course_plan
from tests.booking.booking_world import at, make_world, patient, signed_details
from tests.booking.test_booking_flow import details_data

pytestmark = pytest.mark.django_db

WEEK = timedelta(days=7)


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0


@pytest.fixture
def world(clinic):
    world = make_world()
    treatment = world.dry_needling
    treatment.confirmation = Confirmation.REVIEW  # booked at once when every answer is "no"
    treatment.course_sessions = 4
    treatment.course_spacing_days = 7
    treatment.course_price = Decimal("240.00")
    treatment.save()
    for week in range(4):
        world.slot(world.maya, 9, 13, day=world.day + week * WEEK)
    return world


def session_day(world, number):
    return world.day + (number - 1) * WEEK


def take(world, number, hour=10, minute=0):
    """Someone else books Maya at the course's session `number` (massage, 10:00-11:10)."""
    return appointment_book(
        treatment=world.massage,
        practitioner=world.maya,
        starts_at=at(session_day(world, number), hour, minute),
        patient=patient(name="Someone Else", email="else@example.com"),
        now=timezone.now(),
    )


def params(world, hour=10, **extra):
    values = {
        "treatment": world.dry_needling.slug,
        "practitioner": world.maya.slug,
        "start": flow.start_format(at(world.day, hour)),
        "course": "1",
    }
    values.update(extra)
    return values


def course_url(world, **extra):
    return flow.url("booking:course", **params(world, **extra))


def confirm_data(world, key="", **extra):
    data = params(world, **extra)
    data["details"] = signed_details(world.dry_needling, key=key)
    return data


def alternative_for(world, number):
    plans = course_plan(
        treatment=world.dry_needling,
        practitioner=world.maya,
        first=at(world.day, 10),
        now=timezone.now(),
    )
    return plans[number - 1].alternatives[0]


# --- the time step ----------------------------------------------------------------------


def test_the_time_step_offers_the_course_with_its_price(client, world):
    response = client.get(
        flow.url("booking:time", treatment="dry-needling", practitioner="maya-okafor")
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "book a course of 4 weekly sessions</a> for £240." in page
    assert "course=1" in page


def test_choosing_the_course_makes_each_time_lead_to_the_course_page(client, world):
    response = client.get(
        flow.url("booking:time", treatment="dry-needling", practitioner="maya-okafor", course="1")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose the first day and time" in page
    assert "Book one session instead" in page
    assert "/book/course/?" in page
    assert "/book/details/?" not in page
    assert '<input type="hidden" name="course" value="1">' in page  # "Go to a date" keeps it


def test_a_treatment_without_a_course_offers_none(client, world):
    response = client.get(
        flow.url(
            "booking:time",
            treatment="physiotherapy-follow-up",
            practitioner="maya-okafor",
            course="1",
        )
    )

    page = response.content.decode()
    assert "course" not in page.split("<main", 1)[1].split("</main>", 1)[0].lower()


def test_the_single_session_flow_is_unchanged(client, world):
    response = client.get(
        flow.url("booking:time", treatment="dry-needling", practitioner="maya-okafor")
    )

    assert "/book/details/?" in response.content.decode()


# --- the course page --------------------------------------------------------------------


def test_the_course_page_lists_every_session_with_the_same_practitioner(client, world):
    response = client.get(course_url(world))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your course of 4 sessions" in page
    for number in range(1, 5):
        day = session_day(world, number)
        assert f"Session {number}" in page
        assert f"{day:%A} {day.day} {day:%B %Y}, 10:00–10:45" in page
    assert "with Dr Maya Okafor" in page
    assert "Every session has a time" in page


def test_a_taken_session_shows_its_alternatives_as_choices(client, world):
    take(world, 3)

    response = client.get(course_url(world))

    page = response.content.decode()
    assert response.status_code == 200
    third = session_day(world, 3)
    assert f"Session 3: {third:%A} {third.day} {third:%B}, 10:00 is not free." in page
    assert 'name="s3"' in page
    assert page.count('type="radio"') >= 1
    assert 'name="s2"' not in page


def test_continuing_without_choosing_asks_for_the_missing_session(client, world):
    take(world, 3)

    response = client.get(course_url(world, go="1"))

    assert response.status_code == 400
    assert "Please choose a time for session 3." in response.content.decode()
    assert not Course.objects.exists()


def test_a_chosen_alternative_is_kept_in_the_address_and_leads_to_the_details(client, world):
    take(world, 3)
    alternative = alternative_for(world, 3)
    s3 = flow.start_format(alternative)

    shown = client.get(course_url(world, s3=s3))
    response = client.get(course_url(world, s3=s3, go="1"))

    assert "Every session has a time" in shown.content.decode()
    assert "Instead of" in shown.content.decode()
    assert response.status_code == 302
    assert response.url.startswith(reverse("booking:details"))
    assert f"s3={s3}" in response.url
    assert "course=1" in response.url


# --- details and review -----------------------------------------------------------------


def test_the_review_lists_every_date_and_books_them_in_one_press(client, world):
    take(world, 3)
    alternative = alternative_for(world, 3)
    s3 = flow.start_format(alternative)

    details = client.post(flow.url("booking:details", **params(world, s3=s3)), details_data())
    review = client.get(details.url)
    page = review.content.decode()

    assert details.status_code == 303
    assert f"s3={s3}" in details.url
    assert review.status_code == 200
    assert "Book all 4 sessions" in page
    for day in (session_day(world, 1), session_day(world, 2), session_day(world, 4)):
        assert f"{day:%A} {day.day} {day:%B %Y}, 10:00–10:45" in page
    assert f"{alternative.astimezone(at(world.day, 0).tzinfo):%A} " in page
    assert f'name="s3" value="{s3}"' in page
    assert 'name="course" value="1"' in page
    # "Change" leads to the course page with the picked time kept, not back to the picker.
    assert re.search(rf'href="/book/course/\?[^"]*s3={s3}[^"]*">Change', page)
    details_page = client.get(flow.url("booking:details", **params(world, s3=s3))).content.decode()
    assert re.search(rf'href="/book/course/\?[^"]*s3={s3}[^"]*">Back', details_page)

    key = page.split('name="details" value="', 1)[1].split('"', 1)[0]
    booked = client.post(
        reverse("booking:confirm"),
        {**params(world, s3=s3), "details": key},
    )

    course = Course.objects.get()
    sessions = list(course.appointments.order_by("course_session"))
    assert booked.status_code == 302
    assert booked.url == reverse("booking:course_booked", kwargs={"reference": course.reference})
    assert [a.starts_at for a in sessions] == [
        at(world.day, 10),
        at(session_day(world, 2), 10),
        alternative,
        at(session_day(world, 4), 10),
    ]
    assert all(a.practitioner == world.maya for a in sessions)
    assert all(a.status == AppointmentStatus.CONFIRMED for a in sessions)

    confirmation = client.get(booked.url)
    text = confirmation.content.decode()
    assert confirmation.status_code == 200
    assert "Thank you, your course is booked" in text
    assert "This is one course" in text
    assert text.count("with Dr Maya Okafor") == 4
    assert course.reference in text


def test_one_post_books_four_sessions_as_one_course(client, world):
    response = client.post(reverse("booking:confirm"), confirm_data(world))

    course = Course.objects.get()
    assert response.status_code == 302
    assert course.sessions == 4
    assert course.price == Decimal("240.00")
    assert course.appointments.count() == 4
    assert AppointmentRequest.objects.count() == 4


def test_first_available_books_the_course_with_the_practitioner_of_the_first_time(client, world):
    response = client.post(
        reverse("booking:confirm"),
        confirm_data(world, practitioner="any", **{"with": world.maya.slug}),
    )

    course = Course.objects.get()
    assert response.status_code == 302
    assert course.practitioner == world.maya
    assert {a.practitioner_id for a in course.appointments.all()} == {world.maya.pk}


def test_a_session_taken_meanwhile_books_nothing_and_names_it_with_alternatives(client, world):
    take(world, 2)

    response = client.post(reverse("booking:confirm"), confirm_data(world))
    shown = client.get(response.url)

    page = shown.content.decode()
    second = session_day(world, 2)
    assert response.status_code == 303
    assert response.url.startswith(reverse("booking:course"))
    assert "taken=2" in response.url
    assert not Course.objects.exists()
    assert AppointmentRequest.objects.count() == 1  # only the other patient's
    assert (
        f"Sorry, session 2 ({second:%a} {second.day} {second:%b} at 10:00) was booked by "
        "someone else a moment ago, so nothing was booked." in page
    )
    assert "your other sessions are kept" in page
    assert "Session 2 was just booked by someone else." in page
    assert 'name="s2"' in page and 'type="radio"' in page
    for number in (1, 3, 4):
        day = session_day(world, number)
        assert f"{day:%A} {day.day} {day:%B %Y}, 10:00–10:45" in page


def test_a_double_press_books_the_course_once(client, world):
    data = confirm_data(world)

    first = client.post(reverse("booking:confirm"), data)
    second = client.post(reverse("booking:confirm"), data)

    course = Course.objects.get()
    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert course.appointments.count() == 4
    assert AppointmentRequest.objects.count() == 4


def test_back_to_the_review_and_book_again_shows_the_booked_course(client, world):
    details = client.post(flow.url("booking:details", **params(world)), details_data())
    review = client.get(details.url).content.decode()
    signed = review.split('name="details" value="', 1)[1].split('"', 1)[0]
    client.post(reverse("booking:confirm"), {**params(world), "details": signed})

    again = client.get(details.url)
    pressed = client.post(reverse("booking:confirm"), {**params(world), "details": signed})

    course = Course.objects.get()
    assert "You booked this course from this page a moment ago" in again.content.decode()
    assert pressed.status_code == 302
    assert pressed.url == reverse("booking:course_booked", kwargs={"reference": course.reference})
    assert AppointmentRequest.objects.count() == 4


def test_a_course_counts_as_one_booking_for_the_rate_limits(client, world, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (2, 3600), "email": (2, 3600)}
    for week in range(4):
        world.slot(world.maya, 14, 17, day=world.day + week * WEEK)

    first = client.post(reverse("booking:confirm"), confirm_data(world))
    second = client.post(reverse("booking:confirm"), confirm_data(world, hour=14))

    third = client.post(reverse("booking:confirm"), confirm_data(world, hour=12))

    assert first.status_code == 302
    assert second.status_code == 302  # four sessions booked, but one booking counted
    assert third.status_code == 429  # the limit itself holds: two bookings an hour
    assert Course.objects.count() == 2


def test_the_course_confirmation_is_only_for_the_session_that_booked_it(client, world):
    client.post(reverse("booking:confirm"), confirm_data(world))
    course = Course.objects.get()

    client.cookies.clear()
    response = client.get(reverse("booking:course_booked", kwargs={"reference": course.reference}))

    assert response.status_code == 403
    assert course.reference not in response.content.decode()


# --- junk ---------------------------------------------------------------------------------

JUNK = ["\x00", "x" * 5000, "9" * 40, "abc", "20991301T9999Z", "-1", "2"]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_every_new_parameter_never_breaks_a_page(client, world, junk):
    for name in ("course", "s1", "s2", "s3", "s4", "s99", "go", "taken"):
        values = params(world, **{name: junk})
        for step in ("booking:time", "booking:course", "booking:details", "booking:review"):
            response = client.get(flow.url(step, **values))
            assert response.status_code < 500, (step, name)
        response = client.post(reverse("booking:confirm"), {**confirm_data(world), name: junk})
        assert response.status_code < 500, name
    for junk_taken in (junk, "0", "5", "3"):
        response = client.get(course_url(world, taken=junk_taken))
        assert response.status_code == 200
        assert "was booked by someone else" not in response.content.decode()
    for reference in ("\x00", "x" * 5000, "ABCD-1234"):
        response = client.get(f"/book/course-booked/{reference}/")
        assert response.status_code in (403, 404)


def test_an_unreadable_session_time_is_said_and_nothing_is_booked(client, world):
    page = client.get(course_url(world, s3="abc", go="1"))
    posted = client.post(reverse("booking:confirm"), confirm_data(world, s3="abc"))

    assert page.status_code == 400
    assert "We could not read the time chosen for session 3" in page.content.decode()
    assert posted.status_code == 400
    assert "We could not read the time chosen for session 3" in posted.content.decode()
    assert not Course.objects.exists()
