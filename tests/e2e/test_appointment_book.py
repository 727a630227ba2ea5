"""The appointment book in Chromium: the day fits a laptop screen, dragging moves an
appointment through the Move page's service, the panel marks and undoes, the clinic
cancels only with a reason, and axe finds nothing, as front desk and as practitioner."""

import re
from datetime import date

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from booking.models import AppointmentStatus
from booking.tokens import digest, private_token_new
from tests.booking.staff_world import PASSWORD, at, build_staff_world, started_a_moment_ago
from tests.e2e.intake import needle_answers_kept

pytestmark = pytest.mark.django_db(transaction=True)

S = AppointmentStatus
SUMMER_DAY = date(2027, 7, 1)  # a Thursday, far enough ahead for any move
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    for practitioner in (world.maya, world.tom):
        world.slot(practitioner, 8, 13)
        world.slot(practitioner, 14, 19)
    world.ann = world.appointment(
        world.maya,
        9,
        status=S.CONFIRMED,
        patient_name="Ann Lee",
        email="ann@example.com",
        answers=needle_answers_kept("bleeding"),
    )
    world.bob = world.appointment(
        world.tom, 10, status=S.CONFIRMED, patient_name="Bob Other", email="bob@example.com"
    )
    return world


def log_in(page, live_server, username):
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Today, "))).to_be_visible()


def day_url(live_server, day=SUMMER_DAY, **query):
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    return f"{live_server.url}{reverse('admin:booking_schedule_day')}?date={day}{extra}"


def manage_link(appointment) -> str:
    token = private_token_new(appointment.reference)
    appointment.manage_token_hash = digest(token)
    appointment.save(update_fields=["manage_token_hash"])
    return reverse("booking:manage", kwargs={"token": token})


def drop_on(page, appointment_name, practitioner, start, clock):
    """Drag the appointment onto `practitioner`'s column at `clock` (HH:MM), by rows."""
    source = page.locator("table.schedule-grid a.entry", has_text=appointment_name)
    target = page.locator(
        f"table.schedule-grid td[data-practitioner='{practitioner.pk}'][data-start^='{start}']"
    )
    cell_start = target.get_attribute("data-start")
    step = int(page.locator("table.schedule-grid").get_attribute("data-step"))
    row_height = page.evaluate(
        "document.querySelector('table.schedule-grid tbody tr').getBoundingClientRect().height"
    )
    hours, minutes = map(int, clock.split(":"))
    first_h, first_m = map(int, cell_start[-5:].split(":"))
    rows = ((hours * 60 + minutes) - (first_h * 60 + first_m)) // step
    source.drag_to(
        target,
        source_position={"x": 6, "y": 2},
        target_position={"x": 20, "y": rows * row_height + 2 + row_height / 3},
    )


def test_the_day_shows_every_practitioners_eight_to_seven_on_a_laptop_without_page_scrolling(
    live_server, browser, world, axe
):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    log_in(page, live_server, "desk")
    page.goto(day_url(live_server))

    assert page.evaluate("document.documentElement.scrollHeight") <= LAPTOP["height"]
    for name in ("Maya Okafor", "Tom Reid"):
        expect(page.get_by_role("columnheader", name=name)).to_be_in_viewport()
    last_row = page.locator("table.schedule-grid tbody tr").last
    box = last_row.bounding_box()
    assert box["y"] + box["height"] <= LAPTOP["height"]
    assert page.locator("table.schedule-grid th[scope=row]").first.inner_text() == "08:00"
    assert (
        "18:" in last_row.locator("th").inner_text()
        or "18:"
        in page.locator("table.schedule-grid tbody th .schedule-grid__label").last.inner_text()
    )
    # The safety flag is on the appointment itself, never under a button.
    flag = page.locator("table.schedule-grid a.entry", has_text="Ann Lee").locator(".entry__flag")
    expect(flag).to_contain_text("Call first")
    expect(flag).to_be_visible()
    axe(page)
    context.close()


def test_dragging_an_appointment_moves_it_and_the_patients_page_shows_the_new_time(
    live_server, browser, world
):
    link = manage_link(world.ann)
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    log_in(page, live_server, "desk")
    page.goto(day_url(live_server))

    drop_on(page, "Ann Lee", world.maya, "2027-07-01T10", "11:00")

    expect(page.get_by_text(re.compile(r"Moved \S+ to Thu 1 Jul at 11:00"))).to_be_visible()
    world.ann.refresh_from_db()
    assert world.ann.starts_at == at(SUMMER_DAY, 11)
    patient = context.new_page()
    patient.goto(live_server.url + link)
    expect(patient.get_by_text(re.compile(r"11:00"))).to_be_visible()
    context.close()


def test_dropping_on_a_taken_time_is_refused_with_the_reason_and_nothing_moves(
    live_server, browser, world, axe
):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    log_in(page, live_server, "desk")
    page.goto(day_url(live_server))

    drop_on(page, "Ann Lee", world.tom, "2027-07-01T10:00", "10:00")

    status = page.locator(".schedule-status")
    expect(status).to_contain_text("Nothing was moved.")
    expect(status).to_contain_text("Tom Reid")
    world.ann.refresh_from_db()
    assert (world.ann.practitioner, world.ann.starts_at) == (world.maya, at(SUMMER_DAY, 9))
    axe(page)  # the error state too
    context.close()


def test_marking_completed_from_the_panel_then_undo_restores_it_and_the_history_shows_both(
    live_server, browser, world, axe
):
    starts = started_a_moment_ago()
    today = starts.date()
    world.slot(world.maya, 0, 23, day=today)
    cara = world.appointment(
        world.maya,
        starts.hour,
        starts.minute,
        day=today,
        status=S.CONFIRMED,
        patient_name="Cara Now",
    )
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    log_in(page, live_server, "desk")
    page.goto(day_url(live_server, day=today, open=cara.pk))

    panel = page.get_by_role("complementary", name="Cara Now")
    expect(panel).to_be_visible()
    axe(page)
    panel.get_by_role("button", name="Completed").click()

    expect(page.get_by_text(re.compile(r"Cara Now .*: completed\."))).to_be_visible()
    cara.refresh_from_db()
    assert cara.status == S.COMPLETED
    axe(page)
    page.get_by_role("button", name="Undo").click()

    expect(page.get_by_text(re.compile(r"Undone: .* is as it was\."))).to_be_visible()
    cara.refresh_from_db()
    assert cara.status == S.CONFIRMED
    history = page.get_by_role("complementary", name="Cara Now").locator("ol")
    expect(history).to_contain_text("completed")
    expect(history).to_contain_text("undone")
    expect(history).to_contain_text("desk")
    # Pressing Back and Undo again does nothing twice.
    page.go_back()
    page.reload()
    context.close()


def test_cancelling_from_the_panel_asks_a_reason_and_shows_the_email_first(
    live_server, browser, world, axe
):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    log_in(page, live_server, "desk")
    page.goto(day_url(live_server, open=world.ann.pk))

    page.get_by_role("button", name="Cancel by the clinic…").click()
    page.get_by_role("button", name="Show the e-mail before cancelling").click()
    expect(page.get_by_text("Give the patient a reason.")).to_be_visible()
    axe(page)
    page.get_by_label("Reason given to the patient").fill("Maya is unwell; we are sorry.")
    page.get_by_role("button", name="Show the e-mail before cancelling").click()

    preview = page.get_by_role("region", name="The e-mail the patient will get")
    expect(preview).to_contain_text("Maya is unwell; we are sorry.")
    expect(preview).to_contain_text("ann@example.com")
    axe(page)
    world.ann.refresh_from_db()
    assert world.ann.status == S.CONFIRMED
    page.get_by_role("button", name="Cancel and send this e-mail").click()

    expect(
        page.get_by_text(re.compile(r"1 appointment marked cancelled by clinic"))
    ).to_be_visible()
    world.ann.refresh_from_db()
    assert world.ann.status == S.CANCELLED_BY_CLINIC
    assert world.ann.decline_reason == "Maya is unwell; we are sorry."
    context.close()


@pytest.mark.parametrize("username", ["desk", "maya"])
def test_the_day_week_and_panel_have_no_axe_violations_and_a_practitioner_sees_only_their_own(
    live_server, browser, world, axe, username
):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    log_in(page, live_server, username)

    page.goto(day_url(live_server))
    axe(page)
    page.goto(day_url(live_server, open=world.ann.pk))
    expect(page.get_by_role("complementary", name="Ann Lee")).to_be_visible()
    axe(page)
    page.goto(
        f"{live_server.url}{reverse('admin:booking_schedule_week')}?date={SUMMER_DAY}"
        f"&practitioner={world.tom.pk}"
    )
    axe(page)
    headers = page.locator("table.schedule-grid thead th").all_inner_texts()
    if username == "maya":
        expect(page.get_by_text("Bob Other")).to_have_count(0)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Maya Okafor")
        page.goto(day_url(live_server))
        expect(page.get_by_role("columnheader", name="Tom Reid")).to_have_count(0)
        page.goto(day_url(live_server, open=world.bob.pk))
        expect(page.get_by_text("Bob Other")).to_have_count(0)
    else:
        assert any("mon 28 jun" in h.lower() for h in headers)
        expect(page.get_by_text("Bob Other").first).to_be_visible()
    context.close()


def test_on_a_phone_the_day_is_one_list_in_time_order(live_server, browser, world, axe):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_server, "desk")
    page.goto(day_url(live_server))

    expect(page.locator("table.schedule-grid")).to_be_hidden()
    items = page.locator(".schedule-list li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Ann Lee")
    expect(items.nth(1)).to_contain_text("Bob Other")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    axe(page)
    context.close()
