"""A course's private page in Chromium on a phone: every session shown, one session
cancelled, the rest of the course cancelled, and axe clean in every state."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from booking.links import manage_token
from booking.models import AppointmentStatus
from booking.services import course_book
from clinic.identity import forget_clinic
from tests.booking.booking_world import at, make_world, patient

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
WEEK = timedelta(days=7)


@pytest.fixture
def course(clinic):
    world = make_world()
    world.follow_up.course_sessions = 4
    world.follow_up.course_spacing_days = 7
    world.follow_up.save()
    for week in range(4):
        world.slot(world.maya, 9, 13, day=world.day + week * WEEK)
    return course_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts=[at(world.day + n * WEEK, 10) for n in range(4)],
        patient=patient(),
        now=timezone.now(),
    )


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(browser, request, axe):
    """A phone with JavaScript on or off, and axe for its pages (axe needs JavaScript:
    with it off, the same pages are checked in the other run)."""
    context = browser.new_context(java_script_enabled=request.param, viewport=PHONE)
    page = context.new_page()
    yield page, (axe if request.param else lambda page: None)
    context.close()


def sessions_of(course):
    return list(course.appointments.order_by("course_session"))


def open_link(page, live_server, session) -> None:
    page.goto(live_server.url + reverse("booking:manage", kwargs={"token": manage_token(session)}))


def test_the_course_page_cancels_one_session_then_the_rest_with_axe_clean_throughout(
    live_server, phone, course
):
    page, axe = phone
    second = sessions_of(course)[1]
    open_link(page, live_server, second)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your course: session 2 of 4")
    sessions = page.get_by_role("region", name="Every session of your course")
    expect(sessions.get_by_role("listitem")).to_have_count(4)
    axe(page)

    page.get_by_role("link", name="Cancel session 3").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel session 3 of 4?")
    axe(page)
    page.get_by_role("button", name="Yes, cancel the appointment").click()
    expect(page.get_by_text("Your appointment is cancelled.")).to_be_visible()
    statuses = [s.status for s in sessions_of(course)]
    assert statuses.count(AppointmentStatus.CANCELLED_BY_PATIENT) == 1
    assert statuses[2] == AppointmentStatus.CANCELLED_BY_PATIENT

    page.goto(live_server.url + reverse("booking:appointment", args=[second.reference]))
    page.get_by_role("link", name="Cancel the rest of the course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel the rest of your course?")
    axe(page)
    page.get_by_role("button", name="Yes, cancel the rest of the course").click()

    expect(page.get_by_text(re.compile(r"Sessions 1, 2 and 4 are cancelled"))).to_be_visible()
    axe(page)
    assert {s.status for s in sessions_of(course)} == {AppointmentStatus.CANCELLED_BY_PATIENT}


def test_inside_the_window_the_course_page_says_to_phone_and_stays_clean(
    live_server, browser, course, clinic, axe
):
    clinic.late_cancellation_hours = 60 * 24
    clinic.save()
    forget_clinic()
    page = browser.new_context(viewport=PHONE).new_page()
    second = sessions_of(course)[1]
    open_link(page, live_server, second)

    expect(page.get_by_text("can no longer be cancelled online").first).to_be_visible()
    expect(page.get_by_role("link", name="Cancel the rest of the course")).to_have_count(0)
    axe(page)
    page.goto(live_server.url + reverse("booking:cancel", args=[second.reference]) + "?scope=%00")
    expect(page.get_by_text("We could not tell what to cancel")).to_be_visible()
    axe(page)
    page.close()
