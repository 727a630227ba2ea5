"""Courses for staff in Chromium: a phone-in course with a taken session, repeating an
appointment, and the course's pages, each checked by axe."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from booking.models import AppointmentStatus, Course
from booking.services.courses import course_book
from tests.booking.booking_world import patient
from tests.booking.staff_world import at, build_staff_world
from tests.e2e.test_staff_workspace import log_in

pytestmark = pytest.mark.django_db(transaction=True)

S = AppointmentStatus
SUMMER_DAY = date(2027, 7, 1)  # a Thursday
WEEK = timedelta(days=7)


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.physio.course_sessions = 4
    world.physio.course_spacing_days = 7
    world.physio.save()
    for week in range(5):
        world.slot(world.maya, 9, 13, day=SUMMER_DAY + week * WEEK)
    return world


def test_front_desk_books_a_course_on_the_phone_choosing_another_time_for_a_taken_session(
    live_server, page, world, axe
):
    world.appointment(world.maya, 10, day=SUMMER_DAY + 2 * WEEK, status=S.CONFIRMED)
    log_in(page, live_server, "desk")
    page.goto(
        f"{live_server.url}/admin/booking/appointmentrequest/phone-in/"
        f"?practitioner={world.maya.pk}&date={SUMMER_DAY}&start_time=10:00"
        f"&treatment={world.physio.pk}"
    )
    page.get_by_label("Book as a course of 4 (weekly)").check()
    page.get_by_label("Patient name").fill("Phone Phil")
    page.get_by_label("Phone").fill("07700 900555")
    # Ticked, the first press shows every session; nothing is booked before the second.
    page.get_by_role("button", name="Book appointment").click()

    expect(page.get_by_role("heading", name="The course's sessions")).to_be_visible()
    expect(page.get_by_text("Session 3: Thu 15 Jul 2027 at 10:00 is not free.")).to_be_visible()
    axe(page)
    taken = page.get_by_role("group", name=re.compile("Session 3"))
    taken.get_by_role("radio").first.check()
    page.get_by_role("button", name=re.compile("Book the course")).click()

    expect(page.get_by_text(re.compile(r"Booked course .* for Phone Phil"))).to_be_visible()
    course = Course.objects.get()
    assert course.appointments.count() == 4
    assert course.appointments.get(course_session=3).starts_at != at(SUMMER_DAY + 2 * WEEK, 10)


def test_front_desk_repeats_an_appointment_from_its_page_and_reads_the_course(
    live_server, page, world, axe
):
    original = world.appointment(world.maya, 10, status=S.CONFIRMED)
    log_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/booking/appointmentrequest/{original.pk}/change/")

    page.get_by_role("link", name="Repeat", exact=True).click()
    page.get_by_label("How many more sessions").fill("3")
    page.get_by_label("weekly", exact=True).check()
    page.get_by_role("button", name="Show the times").click()
    expect(page.get_by_text("Session 4: Thu 22 Jul 2027 at 10:00")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Book all 3 more sessions").click()

    expect(page.get_by_text(re.compile(r"Course .*: 4 sessions"))).to_be_visible()
    original.refresh_from_db()
    assert original.course_session == 1
    expect(page.get_by_text("session 1 of 4")).to_be_visible()
    page.get_by_role("link", name=original.course.reference).click()
    for session in original.course.appointments.all():
        expect(page.get_by_role("link", name=session.reference)).to_be_visible()
    axe(page)


def test_the_course_list_the_patient_page_and_the_book_show_the_course_accessibly(
    live_server, page, world, axe
):
    course = course_book(
        treatment=world.physio,
        practitioner=world.maya,
        starts=[at(SUMMER_DAY + n * WEEK, 10) for n in range(4)],
        patient=patient(),
        now=at(SUMMER_DAY - WEEK, 9),
        source="staff",
        enforce_policy=False,
    )
    log_in(page, live_server, "desk")
    page.goto(live_server.url + "/admin/booking/course/")
    expect(page.get_by_role("link", name=course.reference)).to_be_visible()
    axe(page)
    page.goto(f"{live_server.url}/admin/booking/patient/{course.patient_id}/change/")
    expect(page.get_by_role("heading", name="Courses")).to_be_visible()
    axe(page)
    page.goto(f"{live_server.url}/admin/booking/appointmentrequest/schedule/?date=2027-07-08")
    # The grid cuts an entry where its time ends; the words are there for every reader.
    expect(page.get_by_text("session 2 of 4").first).to_be_attached()
    axe(page)
