"""A pre-visit form in Chromium: the patient opens the e-mail's link on a phone, meets
the messages, answers, and uses Back; front desk sees "Form missing" in the book until
then, fills one in on the phone, and prints the answers. axe on every state."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from booking.intake.demo import HEALTH_BACKGROUND, form_attach, form_load
from booking.intake.invitations import invitation_token
from booking.models import AppointmentStatus, IntakeWhen
from booking.services import PatientDetails, appointment_book, appointment_change_status
from tests.booking.staff_world import PASSWORD, at, build_staff_world

pytestmark = pytest.mark.django_db(transaction=True)

SUMMER_DAY = date(2027, 7, 1)  # a Thursday, long after the clock of any run
BOOKED_AT = at(SUMMER_DAY, 8) - timedelta(days=3)
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
MEDICINES = "Which medicines do you take at the moment?"
PAIN = "How bad is the pain today, from 0 (none) to 10 (the worst)?"


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.slot(world.maya, 9, 13)
    form_attach(world.physio, form_load(HEALTH_BACKGROUND), IntakeWhen.BEFORE_VISIT)
    world.ann = appointment_book(
        treatment=world.physio,
        practitioner=world.maya,
        starts_at=at(SUMMER_DAY, 10),
        patient=PatientDetails(
            name="Ann Lee", email="ann@example.com", phone="07700 900111", is_new_patient=True
        ),
        now=BOOKED_AT,
        privacy_notice_version="2026-11",
    )
    appointment_change_status(
        appointment_id=world.ann.pk, to_status=AppointmentStatus.CONFIRMED, now=BOOKED_AT
    )
    return world


def form_link(live_server, appointment) -> str:
    invitation = appointment.intake_invitations.get()
    token = invitation_token(invitation)
    return live_server.url + reverse("booking:intake_link", kwargs={"token": token})


def log_in(page, live_server, username):
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_patient_answers_on_a_phone_with_messages_beside_the_fields_and_back_works(
    live_server, browser, world, axe
):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(form_link(live_server, world.ann))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your health before the first visit")
    assert "/book/forms/answer/" in page.url  # the token has left the address bar
    axe(page)

    page.get_by_label(MEDICINES).fill("Ibuprofen")
    page.get_by_label(PAIN).fill("six")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Enter a number, for example 12 or 2.5.", exact=True)).to_be_visible()
    expect(page.get_by_label(MEDICINES)).to_have_value("Ibuprofen")  # nothing typed is lost
    expect(page.get_by_role("alert")).to_contain_text("How bad is the pain today")
    axe(page)

    page.get_by_label(PAIN).fill("6")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    axe(page)

    page.go_back()  # never a "resend the form?" prompt
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    world.ann.refresh_from_db()
    kept = {item["key"]: item for item in world.ann.answers}
    assert kept["medication"]["question"] == MEDICINES
    assert kept["pain_score"]["value"] == "6"


def test_front_desk_sees_form_missing_fills_it_on_the_phone_and_prints_it(
    live_server, browser, world, axe
):
    page = browser.new_context(viewport=LAPTOP).new_page()
    log_in(page, live_server, "desk")
    day = f"{live_server.url}/admin/booking/appointmentrequest/schedule/?date={SUMMER_DAY}"
    page.goto(day)
    expect(page.locator(".entry__missing").first).to_have_text("Form missing")

    page.get_by_role("link", name="Ann Lee").first.click()
    page.get_by_role("link", name="Fill in on the phone").click()
    page.get_by_role("button", name="Save the answers").click()
    expect(page.get_by_text("Answer this question.").first).to_be_visible()
    axe(page)

    page.get_by_label(MEDICINES).fill("None")
    page.get_by_label(PAIN).fill("3")
    page.get_by_role("button", name="Save the answers").click()
    expect(page.get_by_text("is filled in for Ann Lee")).to_be_visible()

    page.goto(day)
    expect(page.locator(".entry__missing")).to_have_count(0)
    page.goto(
        live_server.url + reverse("admin:booking_appointmentrequest_answers", args=[world.ann.pk])
    )
    expect(page.get_by_text(MEDICINES)).to_be_visible()
    axe(page)


def test_the_link_of_a_cancelled_appointment_says_it_no_longer_works(
    live_server, browser, world, axe
):
    link = form_link(live_server, world.ann)
    appointment_change_status(
        appointment_id=world.ann.pk,
        to_status=AppointmentStatus.CANCELLED_BY_CLINIC,
        now=BOOKED_AT,
        note="The practitioner is ill",
    )
    page = browser.new_context(viewport=PHONE).new_page()

    response = page.goto(link)

    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    axe(page)
