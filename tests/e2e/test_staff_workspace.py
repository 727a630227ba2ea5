"""The staff workspace in a real browser: front desk and practitioner, through admin's login."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from booking.models import AppointmentStatus
from tests.booking.staff_world import PASSWORD, build_staff_world

pytestmark = pytest.mark.django_db(transaction=True)

S = AppointmentStatus
# A summer day: London is UTC+1, so a time-zone slip would show on the schedule.
SUMMER_DAY = date(2027, 7, 1)
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    world.alice = world.appointment(
        world.maya, 9, 30, patient_name="Alice Own", email="alice@example.com"
    )
    world.bob = world.appointment(
        world.tom, 11, status=S.CONFIRMED, patient_name="Bob Other", email="bob@example.com"
    )
    return world


def log_in(page, live_server, username):
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # For the front desk and practitioners the admin opens on Today.
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Today, "))).to_be_visible()


def action_menu(page):
    return page.get_by_role("combobox", name=re.compile(r"^Action"))


def schedule_url(live_server, view="", day=SUMMER_DAY):
    return f"{live_server.url}/admin/booking/appointmentrequest/schedule/{view}?date={day}"


def test_front_desk_confirms_a_request_from_the_list_and_the_patient_gets_the_email(
    live_server, page, world, settings, mailoutbox
):
    settings.TASKS = IMMEDIATE_TASKS
    log_in(page, live_server, "desk")

    page.get_by_role("link", name="1 request waiting for confirmation").click()
    row = page.get_by_role("row").filter(has_text="Alice Own")
    row.get_by_role("checkbox").check()
    action_menu(page).select_option(label="Confirm selected requests")
    page.get_by_role("button", name="Run").click()

    expect(page.get_by_text(re.compile(r"1 appointment marked confirmed"))).to_be_visible()
    world.alice.refresh_from_db()
    assert world.alice.status == S.CONFIRMED
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert world.alice.reference in mailoutbox[0].body


def test_front_desk_declines_with_a_reason_on_an_accessible_page(live_server, page, world, axe):
    log_in(page, live_server, "desk")
    page.goto(live_server.url + "/admin/booking/appointmentrequest/?status__exact=requested")
    page.get_by_role("row").filter(has_text="Alice Own").get_by_role("checkbox").check()
    action_menu(page).select_option(label="Decline selected requests (with a reason)…")
    page.get_by_role("button", name="Run").click()

    expect(page.get_by_role("heading", level=1, name="Decline requests")).to_be_visible()
    axe(page)
    page.get_by_label("Reason given to the patient").fill("We do not treat this condition.")
    page.get_by_role("button", name="Decline and e-mail the patient").click()

    expect(page.get_by_text("1 appointment marked declined")).to_be_visible()
    world.alice.refresh_from_db()
    assert world.alice.decline_reason == "We do not treat this condition."


def test_front_desk_sees_every_column_and_the_booking_at_its_clinic_time(
    live_server, page, world, axe
):
    csp_errors = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and csp_errors.append(message),
    )
    log_in(page, live_server, "desk")
    page.goto(schedule_url(live_server))

    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule for Thursday 1 July 2027")
    # The Print button appears only when the schedule's script ran under the CSP.
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    assert csp_errors == []
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Maya Okafor")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Tom Reid")).to_be_visible()
    half_past = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="09:30"))
    link = half_past.get_by_role("link", name=re.compile("09:30–10:15 Alice Own"))
    expect(link).to_be_visible()
    expect(link).to_contain_text("Requested")
    axe(page)

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Schedule")).to_be_hidden()
    expect(link).to_be_visible()
    page.emulate_media(media="screen")

    # The appointment opens its panel; the whole appointment is a link away.
    link.click()
    panel = page.get_by_role("complementary", name="Alice Own")
    expect(panel).to_be_visible()
    axe(page)
    panel.get_by_role("link", name="Whole appointment").click()
    expect(page).to_have_url(re.compile(rf"/appointmentrequest/{world.alice.pk}/change/$"))
    expect(page.get_by_text("Alice Own").first).to_be_visible()


def test_schedule_navigates_between_days_and_to_the_week(live_server, page, world, axe):
    log_in(page, live_server, "desk")
    page.goto(schedule_url(live_server))
    page.get_by_role("link", name="Next day").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule for Friday 2 July 2027")
    page.get_by_role("link", name="Previous day").click()
    page.get_by_role("link", name="Week view").click()
    # The week is one practitioner's: the first, until front desk picks another.
    expect(page.get_by_role("heading", level=1)).to_have_text("Maya Okafor's week of 28 June 2027")
    page.get_by_label("Practitioner").select_option(label="Tom Reid")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tom Reid's week of 28 June 2027")
    expect(page.get_by_role("link", name=re.compile("11:00–11:45 Bob Other"))).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tom Reid's week of 5 July 2027")


def test_front_desk_books_a_phone_in_patient_from_a_free_time_on_the_schedule(
    live_server, page, world, axe
):
    log_in(page, live_server, "desk")
    page.goto(schedule_url(live_server))
    # A free stretch's other times show once it has focus, as a keyboard user gets there.
    page.get_by_role("link", name=re.compile(r"^Free 10:30–13:00")).focus()
    page.get_by_role("link", name="Book 11:00 with Maya Okafor on Thu 1 Jul").click()

    expect(page.get_by_role("heading", level=1, name="Book a phone-in appointment")).to_be_visible()
    expect(page.get_by_label("Start time")).to_have_value("11:00")
    axe(page)
    page.get_by_label("Treatment").select_option(label="Physiotherapy session")
    page.get_by_label("Patient name").fill("Phone Phil")
    page.get_by_label("E-mail").fill("phil@example.com")
    page.get_by_label("Phone").fill("07700 900555")
    page.get_by_role("button", name="Book appointment").click()

    expect(page.get_by_text(re.compile("Booked .*Phone Phil with Maya Okafor"))).to_be_visible()
    eleven = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="11:00"))
    expect(eleven.get_by_role("link", name=re.compile("11:00–11:45 Phone Phil"))).to_be_visible()


def test_conflicting_phone_in_booking_shows_a_clear_error_on_the_form(
    live_server, page, world, axe
):
    log_in(page, live_server, "desk")
    page.goto(
        f"{live_server.url}/admin/booking/appointmentrequest/phone-in/"
        f"?practitioner={world.tom.pk}&date={SUMMER_DAY}&start_time=11:15"
    )
    page.get_by_label("Treatment").select_option(label="Physiotherapy session")
    page.get_by_label("Patient name").fill("Clash Clara")
    page.get_by_label("E-mail").fill("clara@example.com")
    page.get_by_label("Phone").fill("07700 900556")
    page.get_by_role("button", name="Book appointment").click()

    expect(page.get_by_role("alert")).to_contain_text("Tom Reid already has an appointment")
    axe(page)


def test_front_desk_blocks_a_slot_from_the_schedule(live_server, page, world):
    log_in(page, live_server, "desk")
    page.goto(schedule_url(live_server))
    # The button shows once the free stretch has focus: its label comes first.
    page.locator("td.slot-cell--free a.entry__label").first.focus()
    page.get_by_role("button", name="Block slot 09:00–13:00").first.click()
    expect(page.get_by_text("Slot blocked.")).to_be_visible()
    unblock = page.get_by_role("button", name="Unblock 09:00–13:00", include_hidden=True)
    expect(unblock).to_have_count(1)


def test_access_request_page_is_accessible_for_front_desk(live_server, page, world, axe):
    log_in(page, live_server, "desk")
    page.goto(live_server.url + "/admin/booking/appointmentrequest/")
    page.get_by_role("link", name="Patient access request").click()
    expect(page.get_by_role("heading", level=1, name="Patient access request")).to_be_visible()
    axe(page)
    page.get_by_label("Patient's e-mail address").fill("alice@example.com")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the data").click()
    assert download.value.suggested_filename.startswith("access-request-")


def test_practitioner_sees_only_their_own_patients_and_schedule(live_server, page, world, axe):
    log_in(page, live_server, "maya")

    expect(page.get_by_role("link", name="1 request waiting for confirmation")).to_be_visible()
    page.goto(live_server.url + "/admin/booking/appointmentrequest/")
    expect(page.get_by_role("link", name="Alice Own")).to_be_visible()
    expect(page.get_by_text("Bob Other")).to_have_count(0)
    expect(page.get_by_role("link", name="Export this list as CSV")).to_have_count(0)
    expect(page.get_by_role("link", name="Patient access request")).to_have_count(0)
    options = action_menu(page).locator("option").all_inner_texts()
    assert not any("CSV" in option for option in options)

    page.get_by_role("textbox", name="Search").fill("Bob")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("0 results")).to_be_visible()

    page.goto(schedule_url(live_server))
    expect(page.get_by_role("columnheader", name="Maya Okafor")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Tom Reid")).to_have_count(0)
    expect(page.get_by_text("Bob Other")).to_have_count(0)
    axe(page)


def test_practitioner_guessing_another_practitioners_appointment_url_gets_not_found(
    live_server, page, world
):
    log_in(page, live_server, "maya")
    response = page.goto(
        f"{live_server.url}/admin/booking/appointmentrequest/{world.bob.pk}/change/"
    )
    assert response.status == 404
    expect(page.get_by_text("Bob Other")).to_have_count(0)
    response = page.goto(live_server.url + "/admin/booking/appointmentrequest/export.csv")
    assert response.status == 403


def test_practitioner_confirms_their_own_request_from_its_page(live_server, page, world):
    log_in(page, live_server, "maya")
    page.goto(schedule_url(live_server))
    page.get_by_role("link", name=re.compile("^09:30–10:15 Alice Own")).click()
    page.get_by_role("complementary", name="Alice Own").get_by_role(
        "button", name="Confirm"
    ).click()
    expect(page.get_by_text("1 appointment marked confirmed")).to_be_visible()
    world.alice.refresh_from_db()
    assert world.alice.status == S.CONFIRMED
    assert world.alice.status_changes.get().changed_by == world.maya_user


def test_wrong_passwords_lock_the_login_after_the_limit(live_server, page, world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    page.goto(live_server.url + "/admin/")
    for _ in range(2):
        page.get_by_label("Username").fill("desk")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()


def test_admin_index_list_and_appointment_page_with_our_additions_are_accessible(
    live_server, page, world, axe
):
    log_in(page, live_server, "desk")
    expect(page.get_by_role("link", name="Today's schedule")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="1 request waiting for confirmation").click()
    expect(page.get_by_role("link", name="Book a phone-in appointment")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Alice Own").click()
    expect(page.get_by_role("link", name="In the appointment book")).to_be_visible()
    axe(page)
