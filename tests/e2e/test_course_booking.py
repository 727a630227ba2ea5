"""A patient books a course of four weekly dry-needling sessions in Chromium on a phone,
in one press, with JavaScript on and off.

The demo offers dry needling as a course of four weekly sessions. The test
chooses a day past the late-change window and a time on it, and before the
patient opens the course page another patient takes the third session: the
page offers that session's nearest free times, Continue without choosing one
says so (axe checks that error state too), and the course books with the time
the patient picks.
"""

import contextlib
import io
import re
from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking import demo, flow
from booking.availability import clinic_zone
from booking.errors import BookingError
from booking.models import AppointmentRequest, AppointmentStatus, Course, Practitioner, Treatment
from booking.services import appointment_book
from tests.booking.booking_world import patient
from tests.e2e.test_booking_flow import NoScriptAxe
from tests.e2e.times import choose_in_strip, day_label, day_to_change, time_link_on

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def bookable(clinic, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    demo.load(stdout=io.StringIO())


def take_third_session(first_start) -> None:
    """Another patient books Maya at the course's third session (a closed day is taken anyway)."""
    with contextlib.suppress(BookingError):
        appointment_book(
            treatment=Treatment.objects.get(slug="dry-needling"),
            practitioner=Practitioner.objects.get(slug="maya-okafor"),
            starts_at=first_start + timedelta(days=14),
            patient=patient(name="Someone Else", email="else@example.com"),
            now=timezone.now(),
        )


def fill_details(page) -> None:
    """The details step, answered once for the whole course: every safety answer no."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    page.get_by_label("Full name").fill("Sam Patel")
    page.get_by_label("E-mail address").fill("sam.patel@example.com")
    page.get_by_label("Phone number").fill("07700 900123")
    page.get_by_role("group", name=re.compile("Have you been to the clinic before")).get_by_label(
        "No, this is my first visit"
    ).check()
    safety = page.get_by_role("group", name="Safety questions for needle treatments")
    safety.get_by_label("None of these apply to me").check()
    page.get_by_label("I agree that the clinic keeps these details").check()
    page.get_by_role("button", name="Continue").click()


def book_a_course(page, live_server, axe) -> None:
    page.goto(
        live_server.url
        + flow.url("booking:time", treatment="dry-needling", practitioner="maya-okafor")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a day and time")
    page.get_by_role("link", name="book a course of 4 weekly sessions").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose the first day and time")
    axe(page)
    day = day_to_change("maya-okafor")
    choose_in_strip(page, day)
    first_time = time_link_on(page, day)
    chosen = re.search(r"\d\d:\d\d", first_time.inner_text()).group(0)
    hour, minute = (int(part) for part in chosen.split(":"))
    first_start = datetime.combine(day, time(hour, minute), tzinfo=clinic_zone())
    take_third_session(first_start)
    first_time.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your course of 4 sessions")
    expect(page.get_by_text(f"{day_label(day)} {day.year}, {chosen}")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Continue").click()

    # The error state: the taken session still needs a time.
    expect(page.get_by_role("alert")).to_contain_text("Please choose a time for session")
    axe(page)
    groups = page.get_by_role("group", name=re.compile(r"^Session \d"))
    assert groups.count() >= 1
    for index in range(groups.count()):
        groups.nth(index).get_by_role("radio").first.check()
    page.get_by_role("button", name="Continue").click()

    fill_details(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Check and book")
    expect(page.get_by_text("4 sessions, £240 for the course")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Book all 4 sessions").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your course is booked")
    axe(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_patient_books_a_four_session_weekly_course_in_one_press(
    live_server, browser, bookable, axe, javascript
):
    context = browser.new_context(java_script_enabled=javascript, viewport=PHONE)
    page = context.new_page()
    check = axe if javascript else NoScriptAxe(browser, axe, live_server.url)

    book_a_course(page, live_server, check)

    course = Course.objects.get()
    sessions = list(course.appointments.order_by("course_session"))
    assert course.treatment.slug == "dry-needling"
    assert course.practitioner.slug == "maya-okafor"
    assert len(sessions) == 4
    assert all(s.status == AppointmentStatus.CONFIRMED for s in sessions)
    assert AppointmentRequest.objects.exclude(course=course).count() <= 1  # the other patient's
    expect(page.get_by_text(course.reference)).to_be_visible()
    dates = page.get_by_role("list").filter(has_text="with Dr Maya Okafor").get_by_role("listitem")
    expect(dates).to_have_count(4)
    for appointment in sessions:
        local = timezone.localtime(appointment.starts_at)
        when = f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"
        expect(dates.filter(has_text=when)).to_have_count(1)
    context.close()
    if not javascript:
        check.close()


def test_a_session_taken_meanwhile_books_nothing_and_the_course_page_offers_other_times(
    live_server, browser, bookable, axe
):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(
        live_server.url
        + flow.url("booking:time", treatment="dry-needling", practitioner="maya-okafor", course="1")
    )
    day = day_to_change("maya-okafor")
    choose_in_strip(page, day)
    time_link_on(page, day).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your course of 4 sessions")
    groups = page.get_by_role("group", name=re.compile(r"^Session \d"))
    for index in range(groups.count()):  # a closed day (Christmas) needs another time
        groups.nth(index).get_by_role("radio").first.check()
    page.get_by_role("button", name="Continue").click()
    fill_details(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and book")

    # Another patient takes the second session while this one reads the dates.
    query = parse_qs(urlparse(page.url).query)
    first = flow.start_parse(query["start"][0])
    second = flow.start_parse(query["s2"][0]) if "s2" in query else first + timedelta(days=7)
    appointment_book(
        treatment=Treatment.objects.get(slug="dry-needling"),
        practitioner=Practitioner.objects.get(slug="maya-okafor"),
        starts_at=second,
        patient=patient(name="Someone Else", email="else@example.com"),
        now=timezone.now(),
    )
    page.get_by_role("button", name="Book all 4 sessions").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your course of 4 sessions")
    expect(page.get_by_role("alert")).to_contain_text("session 2")
    expect(page.get_by_role("alert")).to_contain_text("nothing was booked")
    assert not Course.objects.exists()
    axe(page)
    page.get_by_role("group", name=re.compile(r"^Session 2 ")).get_by_role("radio").first.check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    expect(page.get_by_label("Full name")).to_have_value("Sam Patel")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Book all 4 sessions").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your course is booked")
    course = Course.objects.get()
    assert course.appointments.count() == 4
    assert second not in {a.starts_at for a in course.appointments.all()}
    context.close()
