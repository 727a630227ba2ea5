"""The staff workspace as the front desk and a practitioner use it, in Chromium, checked by axe."""

import re
from datetime import date, timedelta

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking.ics import appointment_ics
from booking.intake.demo import NEEDLE_SAFETY
from booking.models import AppointmentRequest, AppointmentStatus, Patient
from tests.booking.intake_world import with_needle_safety
from tests.booking.staff_world import PASSWORD, at, build_staff_world, started_a_moment_ago
from tests.e2e.intake import needle_answers_kept
from tests.e2e.screenshots import keep_screenshot

pytestmark = pytest.mark.django_db(transaction=True)

S = AppointmentStatus
SUMMER_DAY = date(2027, 7, 1)
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    world.alice = Patient.objects.create(
        name="Alice Own", email="alice@example.com", phone="07700 900111", phone_key="07700900111"
    )
    world.rita = Patient.objects.create(
        name="Rita Return", phone="07700 900321", phone_key="07700900321"
    )
    world.alice_visit = world.appointment(
        world.maya,
        9,
        30,
        status=S.CONFIRMED,
        patient=world.alice,
        patient_name="Alice Own",
        email="alice@example.com",
    )
    world.bob_visit = world.appointment(
        world.tom, 11, status=S.CONFIRMED, patient_name="Bob Other", email="bob@example.com"
    )
    world.appointment(
        world.tom,
        9,
        day=SUMMER_DAY - timedelta(days=28),
        status=S.COMPLETED,
        patient=world.rita,
        patient_name="Rita Return",
        email="",
    )
    return world


def log_in(page, live_server, username):
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Today, "))).to_be_visible()


def schedule_url(live_server, day=SUMMER_DAY):
    return f"{live_server.url}/admin/booking/appointmentrequest/schedule/?date={day}"


# --- Front desk ---------------------------------------------------------------------


def test_front_desk_finds_a_returning_patient_by_phone_and_books_them_without_email(
    live_server, page, world, axe, mailoutbox, settings
):
    settings.TASKS = IMMEDIATE_TASKS
    log_in(page, live_server, "desk")
    page.goto(schedule_url(live_server))
    book = page.get_by_role("link", name="Book 12:00 with Tom Reid", include_hidden=True)
    # A free stretch's other times show once it has focus, as a keyboard user gets there.
    page.locator("td", has=book).locator("a.entry__label").focus()
    book.click()

    expect(page.get_by_role("heading", level=1, name="Book a phone-in appointment")).to_be_visible()
    expect(page.get_by_label("Start time")).to_have_value("12:00")
    expect(page.get_by_label("Treatment")).to_have_value(str(world.physio.pk))
    axe(page)
    page.get_by_role("combobox", name=re.compile("Returning patient")).click()
    # The lookup's search box (the other one on the page filters the side menu).
    page.get_by_role("searchbox").last.fill("900 321")
    page.get_by_role("option", name=re.compile("Rita Return · 07700 900321")).click()
    expect(page.get_by_role("combobox", name=re.compile("Rita Return"))).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Book appointment").click()

    expect(page.get_by_text(re.compile("Booked .*Rita Return with Tom Reid"))).to_be_visible()
    expect(page.get_by_text(re.compile("Rita Return has no e-mail address"))).to_be_visible()
    appointment = AppointmentRequest.objects.get(starts_at=at(SUMMER_DAY, 12))
    assert appointment.patient == world.rita
    assert appointment.email == ""
    assert mailoutbox == []


def test_phone_in_with_a_clash_and_missing_answers_stays_accessible(live_server, page, world, axe):
    with_needle_safety(world.physio)
    log_in(page, live_server, "desk")
    page.goto(
        f"{live_server.url}/admin/booking/appointmentrequest/phone-in/"
        f"?practitioner={world.tom.pk}&date={SUMMER_DAY}&start_time=11:15&treatment={world.physio.pk}"
    )
    page.get_by_label("Patient name").fill("Clash Clara")
    page.get_by_label("Phone").fill("07700 900556")
    page.get_by_role("button", name="Book appointment").click()

    expect(
        page.get_by_text("Physiotherapy session needs this answer: ask the patient.").first
    ).to_be_visible()
    axe(page)
    for question in NEEDLE_SAFETY["questions"]:
        page.get_by_role("group", name=question["text"]).get_by_label("No").check()
    page.get_by_role("button", name="Book appointment").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Tom Reid already has an appointment at that time: Thu 1 Jul, 11:00–11:45"
    )
    axe(page)
    page.get_by_role("button", name="Book Thu 1 Jul at 12:00 with Tom Reid").click()
    expect(page.get_by_text(re.compile("Booked .*Clash Clara with Tom Reid"))).to_be_visible()


def test_front_desk_moves_an_appointment_from_the_schedule_to_another_practitioner(
    live_server, page, world, axe, mailoutbox, settings
):
    settings.TASKS = IMMEDIATE_TASKS
    before = icalendar.Calendar.from_ical(appointment_ics(world.alice_visit)).walk("VEVENT")[0]
    log_in(page, live_server, "desk")
    page.goto(schedule_url(live_server))
    # The appointment opens its panel, which has Move.
    page.get_by_role("link", name=re.compile("^09:30–.* Alice Own")).first.click()
    page.get_by_role("complementary", name="Alice Own").get_by_role("link", name="Move").click()

    expect(
        page.get_by_role("heading", level=1, name="Move Alice Own's appointment")
    ).to_be_visible()
    axe(page)
    page.get_by_role("group", name="Tom Reid").get_by_label("12:00").check()
    page.get_by_role("button", name="Move the appointment").click()

    expect(
        page.get_by_text(re.compile("Moved .* to Thu 1 Jul at 12:00 with Tom Reid"))
    ).to_be_visible()
    noon = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="12:00"))
    expect(noon.get_by_role("link", name=re.compile("12:00–12:45 Alice Own"))).to_be_visible()
    [message] = mailoutbox
    assert message.to == ["alice@example.com"]
    assert "12:00" in message.subject and "Tom Reid" in message.body
    [attachment] = [a for a in message.attachments if "calendar" in str(a)]
    moved = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(moved["UID"]) == str(before["UID"])
    assert moved.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert moved.decoded("DTSTART") == at(SUMMER_DAY, 12)


def test_a_move_onto_a_time_just_taken_names_the_clash_accessibly(live_server, page, world, axe):
    log_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/booking/appointmentrequest/{world.alice_visit.pk}/move/")
    page.get_by_role("group", name="Tom Reid").get_by_label("10:00").check()
    # Someone books Tom at 10:00 while the page is open.
    world.appointment(world.tom, 10, status=S.CONFIRMED, patient_name="Quick Quinn")
    page.get_by_role("button", name="Move the appointment").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Tom Reid already has an appointment at that time: Thu 1 Jul, 10:00–10:45"
    )
    expect(page.get_by_role("heading", name="The nearest free times")).to_be_visible()
    axe(page)


def test_today_shows_a_flagged_request_and_one_click_marks_an_arrival(
    live_server, page, world, axe
):
    start = started_a_moment_ago()
    here = world.appointment(
        world.maya,
        start.hour,
        start.minute,
        day=start.date(),
        status=S.CONFIRMED,
        patient_name="Here Now",
    )
    world.appointment(
        world.tom,
        10,
        day=timezone.localdate() + timedelta(days=1),
        patient_name="Flagged Fay",
        answers=needle_answers_kept("bleeding"),
    )
    log_in(page, live_server, "desk")

    waiting = page.get_by_role("region", name=re.compile("request waiting for confirmation"))
    expect(waiting.get_by_role("listitem").filter(has_text="Flagged Fay")).to_contain_text(
        "Call first: Bleeding disorder or blood thinners"
    )
    axe(page)
    page.get_by_role("button", name=f"Arrived for Here Now at {start:%H:%M}").click()

    expect(page.get_by_text("Here Now (")).to_contain_text("arrived")
    row = page.locator(f"#appointment-{here.pk}")  # Today's table, below the book
    expect(row).to_contain_text(re.compile(r"Confirmed, arrived \d\d:\d\d"))
    expect(row.get_by_role("button", name=re.compile("^Arrived"))).to_have_count(0)
    here.refresh_from_db()
    assert here.arrived_at is not None
    axe(page)


def test_front_desk_patient_page_and_schedule_print_are_accessible(live_server, page, world, axe):
    log_in(page, live_server, "desk")
    page.get_by_role("link", name="Patients").first.click()
    page.get_by_role("textbox", name="Search").fill("+44 7700 900 111")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Alice Own").click()

    expect(page.get_by_role("heading", level=2, name="Alice Own")).to_be_visible()
    expect(page.get_by_role("link", name=world.alice_visit.reference)).to_be_visible()
    expect(page.get_by_role("link", name="Book again")).to_be_visible()
    axe(page)


# --- A practitioner -----------------------------------------------------------------------


def test_practitioner_sees_only_their_own_patients_and_todays_list(live_server, page, world, axe):
    start = started_a_moment_ago()
    world.appointment(
        world.maya,
        start.hour,
        start.minute,
        day=start.date(),
        status=S.CONFIRMED,
        patient_name="Maya Today",
    )
    world.appointment(
        world.tom,
        start.hour,
        start.minute,
        day=start.date(),
        status=S.CONFIRMED,
        patient_name="Tom Today",
    )
    log_in(page, live_server, "maya")

    todays = page.get_by_role("region", name="Today's appointments")
    expect(todays.get_by_role("table", name="Maya Okafor")).to_contain_text("Maya Today")
    expect(page.get_by_text("Tom Today")).to_have_count(0)
    expect(todays.get_by_role("table", name="Tom Reid")).to_have_count(0)
    axe(page)

    page.get_by_role("link", name="Patients").first.click()
    expect(page.get_by_role("link", name="Alice Own")).to_be_visible()
    expect(page.get_by_text("Rita Return")).to_have_count(0)
    page.get_by_role("link", name="Alice Own").click()
    expect(page.get_by_role("link", name="Download their data (JSON)")).to_have_count(0)
    axe(page)


def test_practitioners_calendar_feed_lists_their_appointments_only(live_server, page, world, axe):
    # The feed covers the coming weeks: these two are tomorrow, the others months ahead.
    tomorrow = timezone.localdate() + timedelta(days=1)
    world.appointment(world.maya, 10, day=tomorrow, status=S.CONFIRMED, patient_name="Alice Own")
    world.appointment(world.tom, 10, day=tomorrow, status=S.CONFIRMED, patient_name="Bob Other")
    log_in(page, live_server, "maya")
    page.goto(f"{live_server.url}/admin/booking/practitioner/{world.maya.pk}/change/")
    page.get_by_role("link", name="Calendar feed").click()
    page.get_by_role("button", name="Make the address").click()

    axe(page)
    address = page.get_by_label("Calendar address").input_value()
    assert address.startswith(live_server.url + "/calendar/")
    response = page.request.get(address)

    assert response.status == 200
    calendar = icalendar.Calendar.from_ical(response.body())
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert summaries == ["Alice O.: Physiotherapy session"]
    assert b"Bob" not in response.body()


def test_front_desk_compares_a_possible_match_and_merges_it(live_server, page, world, axe):
    newcomer = Patient.objects.create(
        name="A. Own", email="alice@example.com", phone="07700 900999", possible_match=world.alice
    )
    world.appointment(world.maya, 11, patient=newcomer, patient_name="A. Own")
    log_in(page, live_server, "desk")

    page.goto(f"{live_server.url}/admin/booking/patient/?match=check")
    page.get_by_role("link", name="A. Own").click()
    page.get_by_role("link", name="Compare with Alice Own").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Is A. Own the same person as Alice Own?"
    )
    table = page.get_by_role("table", name="The two records side by side")
    expect(table.get_by_role("row", name=re.compile("^E-mail"))).to_contain_text("(the same)")
    axe(page)
    keep_screenshot(page, "patient-match-1280")
    page.get_by_role("button", name="The same person: merge into Alice Own").click()

    expect(page.get_by_text("Merged: Alice Own's record now has every appointment")).to_be_visible()
    axe(page)
    assert not Patient.objects.filter(pk=newcomer.pk).exists()
    assert world.alice.appointments.count() == 2


def test_a_practitioners_page_with_its_hours_tables_has_no_axe_violations(
    live_server, page, world, axe
):
    from booking.models import WeeklyAvailability

    WeeklyAvailability.objects.create(
        practitioner=world.maya, weekday=0, starts_at="09:00", ends_at="13:00"
    )
    log_in(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/booking/practitioner/{world.maya.pk}/change/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe(page)
