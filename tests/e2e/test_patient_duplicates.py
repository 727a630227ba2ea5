"""Possible duplicates and other contacts in a real browser, as front desk, with axe."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking.models import AppointmentRequest, Patient
from tests.booking.staff_world import PASSWORD, build_staff_world

pytestmark = pytest.mark.django_db(transaction=True)

SUMMER_DAY = date(2027, 7, 1)


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.slot(world.maya, 9, 13)
    world.priya = Patient.objects.create(
        name="Priya Shah",
        email="priya@example.com",
        phone="07700 900111",
        phone_key="07700900111",
        date_of_birth=date(1980, 2, 3),
        other_phones=["07700900222"],
    )
    world.appointment(
        world.tom, 9, day=timezone.localdate() - timedelta(days=30), patient=world.priya
    )
    return world


def log_in(page, live_server, username):
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Today, "))).to_be_visible()


def test_phone_in_asks_about_a_possible_duplicate_then_books_when_told_they_differ(
    live_server, page, world, axe
):
    log_in(page, live_server, "desk")
    page.goto(
        f"{live_server.url}/admin/booking/appointmentrequest/phone-in/"
        f"?practitioner={world.maya.pk}&date={SUMMER_DAY}&start_time=10:00"
    )
    page.get_by_label("Treatment").select_option(label="Physiotherapy session")
    page.get_by_label("Patient name").fill("priya shah")
    page.get_by_label("Phone").fill("07700 900333")
    page.get_by_role("button", name="Book appointment").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Possible duplicate")
    expect(alert.get_by_role("link", name="Priya Shah")).to_have_attribute(
        "href", f"/admin/booking/patient/{world.priya.pk}/change/"
    )
    expect(page.get_by_label("Patient name")).to_have_value("priya shah")
    axe(page)
    assert not AppointmentRequest.objects.filter(practitioner=world.maya).exists()

    page.get_by_label("This is a different person").check()
    page.get_by_role("button", name="Book appointment").click()

    expect(page.get_by_text(re.compile("Booked .*priya shah with Maya Okafor"))).to_be_visible()
    assert AppointmentRequest.objects.get(practitioner=world.maya).patient != world.priya


def test_adding_a_patient_asks_about_a_possible_duplicate_and_keeps_what_was_typed(
    live_server, page, world, axe
):
    log_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/booking/patient/add/")
    expect(page.get_by_label("This is a different person")).to_have_count(0)
    page.get_by_label("Name").fill("P. Shah")
    page.get_by_label("Date of birth").fill("1980-02-03")
    page.get_by_label(re.compile(r"^Phone")).fill("07700 900444")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("Possible duplicate:")).to_be_visible()
    expect(page.get_by_role("link", name="Priya Shah")).to_be_visible()
    expect(page.get_by_label(re.compile(r"^Phone"))).to_have_value("07700 900444")
    axe(page)

    page.get_by_label("This is a different person").check()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text(re.compile("was added successfully"))).to_be_visible()
    assert Patient.objects.filter(name="P. Shah").exists()


def test_the_record_shows_its_other_phones_and_is_found_by_them(live_server, page, world, axe):
    log_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/booking/patient/")
    page.get_by_role("textbox", name="Search").fill("07700 900 222")
    page.get_by_role("textbox", name="Search").press("Enter")
    page.get_by_role("link", name="Priya Shah").click()

    expect(page.get_by_label("Other phones")).to_have_value("07700900222")
    axe(page)
