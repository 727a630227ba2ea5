"""The patient's last mile in Chromium, mostly with JavaScript off, as issue 8 asks.

One press books once (twice pressed, Back and again, a replay), nothing typed is
lost, a fast autofill gets through on the second press, every step is clean
under axe in its error state, the week of times fits two phone screens, and a
manage link leaves the address bar (and the database never holds it).
"""

import io
import re
import time
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from booking import demo, flow, views
from booking.intake.questions import kept_values
from booking.links import manage_token
from booking.models import (
    AppointmentRequest,
    Practitioner,
    Treatment,
    WeeklyAvailability,
)
from booking.services import PatientDetails, appointment_book
from tests.booking.intake_world import SAFETY_KEYS
from tests.e2e.screenshots import keep_screenshot
from tests.e2e.times import TIME_LINK, choose_in_strip, day_to_change, pick_time_on, time_link_on

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def safety(page):
    return page.get_by_role("group", name="Safety questions for needle treatments")


@pytest.fixture
def bookable(clinic, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    settings.BOOKING_TIMES_CACHE_SECONDS = 0
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    demo.load(stdout=io.StringIO())


@pytest.fixture
def no_js(browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    yield context.new_page()
    context.close()


def group(page, question: str):
    return page.get_by_role("group", name=re.compile(re.escape(question)))


def fill_details(page, *, needle: bool, name="Sam Patel") -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail address").fill("sam.patel@example.com")
    page.get_by_label("Phone number").fill("07700 900123")
    group(page, "Have you been to the clinic before?").get_by_label(
        "Yes, I have been before"
    ).check()
    page.get_by_label("What would you like help with? (optional)").fill("Sore neck")
    if needle:
        safety(page).get_by_label(re.compile("pacemaker")).check()
    page.get_by_label("I agree that the clinic keeps these details").check()


def to_details(page, live_server, treatment="physiotherapy", practitioner="tom-lindqvist"):
    """The details step of a time the patient may still move or cancel online, whatever the hour."""
    picker = f"{live_server.url}/book/time/?treatment={treatment}&practitioner={practitioner}"
    pick_time_on(page, picker, day_to_change(practitioner))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")


def to_review(page, live_server, **choice) -> None:
    to_details(page, live_server, **choice)
    fill_details(page, needle=choice.get("treatment") == "dry-needling")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Check and"))


def press_twice(page, button) -> None:
    """Two quick presses with the mouse: the second comes while the first is on its way."""
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(200)  # a person's double press: the first is already sent
    page.mouse.click(x, y)


def hidden_fields(page) -> dict:
    form = page.locator("form[action='/book/confirm/']")
    fields = {}
    for field in form.locator("input[type=hidden]").all():
        fields[field.get_attribute("name")] = field.get_attribute("value") or ""
    return fields


# --- one press books once -----------------------------------------------------------------


def test_pressing_the_final_button_twice_stores_one_appointment_and_both_answers_show_it(
    live_server, no_js, bookable, monkeypatch
):
    page = no_js
    to_review(page, live_server)
    # A slow network: each press takes a second to book, so the second
    # press leaves the browser while the first is still on its way.
    real_book = views.appointment_book

    def slow_book(**kwargs):
        time.sleep(1)
        return real_book(**kwargs)

    monkeypatch.setattr(views, "appointment_book", slow_book)
    # The browser shows only the last answer; the server's answers to both
    # presses are read where they are made.
    answers = []
    real_redirect = views.redirect

    def recording_redirect(to, *args, **kwargs):
        response = real_redirect(to, *args, **kwargs)
        if to == "booking:confirmed":
            answers.append((response.status_code, response.url))
        return response

    monkeypatch.setattr(views, "redirect", recording_redirect)
    presses = []
    page.on("request", lambda r: presses.append(r.url) if r.method == "POST" else None)

    press_twice(page, page.get_by_role("button", name="Book this appointment"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    for _ in range(50):  # the first press's answer may still be on its way back
        if len(answers) == 2:
            break
        page.wait_for_timeout(200)
    appointment = AppointmentRequest.objects.get()
    where = f"/book/booked/{appointment.reference}/"
    assert len(presses) == 2, presses
    assert answers == [(302, where), (302, where)]
    expect(page.get_by_text(appointment.reference)).to_be_visible()
    page.goto(live_server.url + where)
    expect(page.get_by_text(appointment.reference)).to_be_visible()


def test_back_after_the_confirmation_and_pressing_again_shows_the_same_booking(
    live_server, no_js, bookable
):
    page = no_js
    to_review(page, live_server)
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    appointment = AppointmentRequest.objects.get()

    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and book")
    expect(page.get_by_text(f"You booked appointment {appointment.reference}")).to_be_visible()
    page.get_by_role("button", name="Book this appointment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    expect(page.get_by_text(appointment.reference)).to_be_visible()
    assert AppointmentRequest.objects.count() == 1


def test_back_to_the_details_and_continue_again_finds_the_same_booking(
    live_server, no_js, bookable
):
    page = no_js
    to_review(page, live_server)
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")

    page.go_back()
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    expect(page.get_by_text("You booked this time a moment ago")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Sam Patel")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Book this appointment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    assert AppointmentRequest.objects.count() == 1


def test_replaying_the_final_post_with_another_time_books_nothing(live_server, no_js, bookable):
    page = no_js
    to_review(page, live_server)
    fields = hidden_fields(page)
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    booked = AppointmentRequest.objects.get()

    another = flow.start_format(booked.starts_at + timedelta(days=7))
    replay = page.request.post(
        live_server.url + "/book/confirm/",
        form={**fields, "start": another},
        headers={"Origin": live_server.url},
    )

    assert replay.status == 409
    assert "nothing more was booked" in replay.text()
    assert list(AppointmentRequest.objects.values_list("pk", flat=True)) == [booked.pk]


# --- nothing typed is lost ------------------------------------------------------------------


def test_changing_the_time_from_the_review_page_keeps_every_detail(live_server, no_js, bookable):
    page = no_js
    to_review(page, live_server, treatment="dry-needling", practitioner="maya-okafor")
    first_when = page.get_by_role("definition").filter(has_text="London time").inner_text()

    page.get_by_role("link", name="Change day and time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a day and time")
    assert "Sam" not in page.url and "0770" not in page.url
    page.get_by_role("link", name=TIME_LINK).nth(5).click()

    expect(page.get_by_text("We kept the details you entered")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Sam Patel")
    expect(page.get_by_label("E-mail address")).to_have_value("sam.patel@example.com")
    expect(page.get_by_label("Phone number")).to_have_value("07700 900123")
    expect(page.get_by_label("What would you like help with? (optional)")).to_have_value(
        "Sore neck"
    )
    expect(
        group(page, "Have you been to the clinic before?").get_by_label("Yes, I have been before")
    ).to_be_checked()
    expect(safety(page).get_by_label(re.compile("pacemaker"))).to_be_checked()
    expect(safety(page).get_by_label(re.compile("pregnant"))).not_to_be_checked()
    expect(safety(page).get_by_label("None of these apply to me")).not_to_be_checked()
    expect(page.get_by_label("I agree that the clinic keeps these details")).to_be_checked()

    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and request")
    assert page.get_by_role("definition").filter(has_text="London time").inner_text() != (
        first_when
    )
    page.get_by_role("button", name="Request this appointment").click()
    appointment = AppointmentRequest.objects.get()
    assert appointment.patient_name == "Sam Patel"
    assert kept_values(appointment.answers)["implant"] is True


def test_changing_the_practitioner_from_the_review_page_keeps_the_details(
    live_server, no_js, bookable
):
    page = no_js
    to_review(page, live_server)

    page.get_by_role("link", name="Change practitioner").click()
    page.get_by_label(re.compile(r"Dr Maya Okafor")).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name=TIME_LINK).first.click()

    expect(page.get_by_label("Full name")).to_have_value("Sam Patel")
    expect(page.get_by_label("I agree that the clinic keeps these details")).to_be_checked()


# --- the minimum fill time never traps a person ------------------------------------------------


def test_a_fast_autofill_style_fill_succeeds_on_the_second_press(
    live_server, no_js, bookable, settings
):
    settings.BOOKING_MIN_FILL_SECONDS = 30  # far longer than this whole test takes
    page = no_js
    to_details(page, live_server)
    fill_details(page, needle=False)

    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Please check your answers and press Continue again.")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Sam Patel")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check and book")
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")


# --- axe on every step in its error state ----------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_booking_step_in_its_error_state_has_no_axe_violations(
    live_server, browser, bookable, axe, viewport
):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    base = live_server.url

    page.goto(base + "/book/practitioner/")  # no treatment chosen
    expect(
        page.get_by_role("link", name="Which treatment would you like? Choose a treatment.")
    ).to_be_visible()
    axe(page)

    page.goto(base + "/book/time/?treatment=dry-needling")  # no practitioner chosen
    expect(page.get_by_text("Choose a practitioner, or the first available.")).to_be_visible()
    axe(page)

    page.goto(base + "/book/details/?treatment=dry-needling&practitioner=maya-okafor&start=x")
    expect(page.get_by_text("We could not read that time.")).to_be_visible()
    axe(page)

    # A day past the late-change window: a request (the pacemaker answer) needs time to confirm.
    page.goto(base + "/book/time/?treatment=dry-needling&practitioner=maya-okafor")
    day = day_to_change("maya-okafor")
    choose_in_strip(page, day)
    time_link_on(page, day).click()
    page.get_by_role("button", name="Continue").click()  # nothing filled in
    expect(page.get_by_role("heading", name="Please check the form")).to_be_visible()
    expect(safety(page).get_by_text("Tick each one that applies to you")).to_be_visible()
    axe(page)

    fill_details(page, needle=True)
    page.get_by_role("button", name="Continue").click()
    start = re.search(r"start=(\w+)", page.url).group(1)
    appointment_book(  # someone else takes the time while the patient reads
        treatment=Treatment.objects.get(slug="dry-needling"),
        practitioner=Practitioner.objects.get(slug="maya-okafor"),
        starts_at=flow.start_parse(start),
        patient=PatientDetails(
            name="Quick Patient",
            email="quick@example.com",
            phone="07700 900111",
            is_new_patient=False,
            answers=dict.fromkeys(SAFETY_KEYS, False),
        ),
        now=timezone.now(),
    )
    page.get_by_role("button", name="Request this appointment").click()
    expect(page.get_by_text("someone booked that time a moment before you")).to_be_visible()
    axe(page)

    page.goto(base + "/book/confirm/")  # a restored tab
    expect(page.get_by_role("heading", level=1)).to_have_text("This step cannot be shown again")
    axe(page)

    page.goto(base + f"/book/appointment/{AppointmentRequest.objects.get().reference}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("open your appointment")
    axe(page)
    context.close()


# --- a time picker that fits a phone --------------------------------------------------------


def busiest_practitioner() -> Practitioner:
    """The demo practitioner with the most weekly hours on record."""
    hours = {}
    for practitioner in Practitioner.objects.active():
        rows = WeeklyAvailability.objects.filter(practitioner=practitioner)
        total = sum(
            (r.ends_at.hour * 60 + r.ends_at.minute) - (r.starts_at.hour * 60 + r.starts_at.minute)
            for r in rows
        )
        hours[practitioner] = total
    return max(hours, key=hours.get)


BUSIEST_DAY = """strip => {
    const days = [...strip.querySelectorAll('a[data-day]')];
    const counts = days.map(
        a => parseInt(a.querySelector('.booking-strip__count').textContent, 10) || 0
    );
    return counts.indexOf(Math.max(...counts));
}"""
SMALL_TARGETS = """() => [...document.querySelectorAll(
    '[data-booking-times] a, [data-booking-times] button,'
    + ' [data-booking-times] input:not([type=hidden])'
)].map(el => [el.textContent.trim() || el.name, el.getBoundingClientRect()])
  .filter(([, box]) => box.width < 44 || box.height < 44)
  .map(([name, box]) => `${name}: ${Math.round(box.width)}x${Math.round(box.height)}`)"""


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_the_page_that_offers_times_fits_two_phone_screens_with_44px_targets(
    live_server, browser, bookable, javascript
):
    context = browser.new_context(java_script_enabled=javascript, viewport=PHONE)
    page = context.new_page()
    practitioner = busiest_practitioner()
    assert practitioner.slug == "maya-okafor"
    limit = 2 * PHONE["height"]
    measured = []
    for treatment in practitioner.treatments.filter(is_active=True):
        page.goto(
            f"{live_server.url}/book/time/?treatment={treatment.slug}"
            f"&practitioner={practitioner.slug}"
        )
        for week in range(3):  # the first week, then two full ones
            strip = page.locator("[data-day-strip]")
            busiest = strip.evaluate(BUSIEST_DAY)
            day = strip.get_by_role("link").nth(busiest)
            day.click()  # a new page without JavaScript, swapped in place with it
            expect(day).to_have_attribute("aria-current", "date")
            count = page.get_by_role("link", name=TIME_LINK).count()
            height = page.evaluate("document.documentElement.scrollHeight")
            measured.append((treatment.slug, week, count, height))
            assert height <= limit, measured[-3:]
            assert count > 0
            assert page.evaluate(SMALL_TARGETS) == [], (treatment.slug, week)
            if week == 0 and not javascript:
                keep_screenshot(page, f"time-picker-{treatment.slug}")
            later = page.get_by_role("link", name=re.compile("Later times"))
            if not later.count():
                break
            later.click()
    # The busiest day really is busy: at least 25 times to choose from.
    assert max(count for _slug, _week, count, _height in measured) >= 25, measured
    context.close()


def test_the_busiest_days_times_are_grouped_with_no_names_repeated(live_server, no_js, bookable):
    page = no_js
    page.goto(f"{live_server.url}/book/time/?treatment=physiotherapy-follow-up&practitioner=any")

    day = page.locator("[data-day-panel]")
    expect(day.get_by_role("heading", level=4).first).to_have_text(
        re.compile("Morning|Afternoon|Evening")
    )
    names = ["Maya", "Tom", "Aisha"]
    visible = page.locator(".booking-period__times").first.evaluate(
        "list => { const copy = list.cloneNode(true);"
        " copy.querySelectorAll('.visually-hidden').forEach(n => n.remove());"
        " return copy.textContent; }"
    )
    assert not [name for name in names if name in visible]
    expect(page.get_by_role("link", name=re.compile("Earlier times"))).to_have_count(0)
    expect(page.get_by_label("Go to a date")).to_be_visible()


# --- manage links that never leak -----------------------------------------------------------


def test_a_manage_link_leaves_the_address_bar_and_the_database_holds_only_hashes(
    live_server, no_js, bookable, settings, mailoutbox
):
    settings.TASKS = IMMEDIATE_TASKS
    settings.SITE_URL = live_server.url
    page = no_js
    to_review(page, live_server)
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    appointment = AppointmentRequest.objects.get()
    token = manage_token(appointment)
    [patient_mail] = [m for m in mailoutbox if m.to == ["sam.patel@example.com"]]
    links = re.findall(rf"{re.escape(live_server.url)}\S+", patient_mail.body)
    manage_link = next(link for link in links if link.endswith(f"/{token}/"))
    ics_link = next(link for link in links if link.endswith("appointment.ics"))

    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(manage_link)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your appointment")
    assert urlparse(page.url).path == f"/book/appointment/{appointment.reference}/"
    assert token not in page.content()
    page.get_by_role("link", name="Cancel the appointment").click()
    page.get_by_role("link", name="No, keep it").click()
    assert [url for url in requested if token in url] == [manage_link]
    assert page.request.get(ics_link).status == 200

    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(a)::text FROM booking_appointmentrequest a")
        dump = "\n".join(row[0] for row in cursor.fetchall())
    assert token not in dump
    assert appointment.manage_token_hash in dump


# --- Back never meets a resubmission prompt --------------------------------------------------


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_back_after_a_details_error_shows_pages_never_a_resubmission_prompt(
    live_server, browser, bookable, javascript
):
    context = browser.new_context(java_script_enabled=javascript, viewport=PHONE)
    page = context.new_page()
    to_details(page, live_server)
    page.get_by_label("Full name").fill("Sam Patel")
    page.get_by_role("button", name="Continue").click()  # the rest left empty
    expect(page.get_by_role("heading", name="Please check the form")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Sam Patel")

    back = page.go_back()
    assert back is not None and back.ok and back.request.method == "GET"
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    back = page.go_back()
    assert back is not None and back.ok and back.request.method == "GET"
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a day and time")
    page.go_forward()
    page.go_forward()
    expect(page.get_by_role("heading", name="Please check the form")).to_be_visible()
    assert "Confirm Form Resubmission" not in page.content()
    context.close()
