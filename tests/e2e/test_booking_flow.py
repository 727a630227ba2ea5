"""A patient books dry needling in Chromium, as a person would: JavaScript on and off.

Every step is checked with axe (WCAG 2.2 A/AA). The second test cancels through
the private link and shows that another patient can then book the same time.
"""

import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking import demo, flow
from booking.intake.questions import kept_values
from booking.links import manage_token
from booking.models import AppointmentRequest, AppointmentStatus, Practitioner, Treatment
from booking.selectors import available_start_times
from booking.services import PatientDetails, appointment_book
from tests.e2e.times import choose_in_strip, day_to_change, time_link_on

pytestmark = pytest.mark.django_db(transaction=True)

TIME_LINK = re.compile(r"^\w+day \d+ \w+ at \d\d:\d\d")


@pytest.fixture
def bookable(clinic, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    demo.load(stdout=io.StringIO())


class NoScriptAxe:
    """axe for a page whose context has JavaScript off (axe itself needs script).

    The page's current HTML, scripts removed, is loaded into a JavaScript-enabled
    page on the same origin, so the stylesheets apply and axe sees exactly what
    a patient without JavaScript sees.
    """

    def __init__(self, browser, axe, origin: str):
        self.context = browser.new_context(viewport={"width": 375, "height": 800})
        self.helper = self.context.new_page()
        self.helper.goto(origin + "/robots.txt")
        self.axe = axe

    def __call__(self, page) -> None:
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.DOTALL)
        self.helper.set_content(html)
        self.axe(self.helper)

    def close(self) -> None:
        self.context.close()


def answer(page, question: str, choice: str) -> None:
    page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(choice).check()


def book_dry_needling_from_home(page, live_server, axe) -> str:
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Book a session").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Book a session")
    axe(page)
    page.get_by_label(re.compile(r"Dry needling ·")).check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a practitioner")
    axe(page)
    page.get_by_label(re.compile(r"Dr Maya Okafor")).check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a day and time")
    axe(page)
    # A day past the late-change window, whatever the hour: a request needs time to confirm.
    day = day_to_change("maya-okafor")
    choose_in_strip(page, day)
    first_time = time_link_on(page, day)
    chosen = re.search(r"\d\d:\d\d", first_time.inner_text()).group(0)
    first_time.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    axe(page)
    page.get_by_label("Full name").fill("Sam Patel")
    page.get_by_label("E-mail address").fill("sam.patel@example.com")
    page.get_by_label("Phone number").fill("07700 900123")
    answer(page, "Have you been to the clinic before?", "No, this is my first visit")
    page.get_by_label("What would you like help with? (optional)").fill("Sore neck after running")
    safety = page.get_by_role("group", name="Safety questions for needle treatments")
    safety.get_by_label("I am afraid of needles, or have fainted with them").check()
    page.get_by_label("I agree that the clinic keeps these details").check()
    page.get_by_role("button", name="Continue").click()

    # Dry needling is booked at once when every answer is no; a yes makes it a request,
    # and the patient is told which answer and why before pressing.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and request")
    expect(page.get_by_text("You answered yes about: needle fear or fainting")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Request this appointment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your request is in")
    axe(page)
    return chosen


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_patient_books_dry_needling_from_the_home_page(
    live_server, browser, bookable, axe, javascript
):
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 375, "height": 800}
    )
    page = context.new_page()
    check = axe if javascript else NoScriptAxe(browser, axe, live_server.url)

    chosen = book_dry_needling_from_home(page, live_server, check)

    appointment = AppointmentRequest.objects.get()
    expect(page.get_by_text(appointment.reference)).to_be_visible()
    expect(page.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
    assert appointment.treatment.slug == "dry-needling"
    assert appointment.practitioner.slug == "maya-okafor"
    assert timezone.localtime(appointment.starts_at).strftime("%H:%M") == chosen
    assert kept_values(appointment.answers)["needle_fear"] is True
    assert appointment.status == AppointmentStatus.REQUESTED

    page.get_by_role("link", name=re.compile(r"manage")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your appointment")
    check(page)
    context.close()
    if not javascript:
        check.close()


def test_cancelling_through_the_manage_link_lets_another_patient_book_the_time(
    live_server, page, bookable, axe
):
    treatment = Treatment.objects.get(slug="physiotherapy")
    maya = Practitioner.objects.get(slug="maya-okafor")
    now = timezone.now()
    days = available_start_times(
        treatment=treatment,
        practitioner=maya,
        start=timezone.localdate() + timedelta(days=3),
        days=7,
        now=now,
    )
    offered = next(iter(days.values()))[0]
    appointment = appointment_book(
        treatment=treatment,
        practitioner=maya,
        starts_at=offered.starts_at,
        patient=PatientDetails(
            name="First Patient",
            email="first@example.com",
            phone="07700 900001",
            is_new_patient=True,
        ),
        now=now,
    )
    local = timezone.localtime(offered.starts_at)
    time_name = f"{local:%A} {local.day} {local:%B} at {local:%H:%M}"
    times_url = (
        f"{live_server.url}/book/time/?treatment=physiotherapy&practitioner=maya-okafor"
        f"&week={local.date().isoformat()}"
    )
    page.goto(times_url)
    expect(page.get_by_role("link", name=time_name)).to_have_count(0)

    page.goto(f"{live_server.url}/book/manage/{manage_token(appointment)}/")
    axe(page)
    page.get_by_role("link", name="Cancel the appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your appointment?")
    axe(page)
    page.get_by_role("button", name="Yes, cancel the appointment").click()
    expect(page.get_by_text("Your appointment is cancelled.")).to_be_visible()
    axe(page)

    page.goto(times_url)
    page.get_by_role("link", name=time_name).click()
    page.get_by_label("Full name").fill("Second Patient")
    page.get_by_label("E-mail address").fill("second@example.com")
    page.get_by_label("Phone number").fill("07700 900002")
    answer(page, "Have you been to the clinic before?", "Yes, I have been before")
    page.get_by_label("I agree that the clinic keeps these details").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Book this appointment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    second = AppointmentRequest.objects.get(patient_name="Second Patient")
    assert second.starts_at == offered.starts_at
    assert second.status == AppointmentStatus.CONFIRMED


def test_errors_and_a_just_taken_time_are_accessible_and_keep_what_was_typed(
    live_server, page, bookable, axe
):
    page.goto(f"{live_server.url}/book/?treatment=physiotherapy&practitioner=maya-okafor")
    time_link = page.get_by_role("link", name=TIME_LINK).first
    time_link.click()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Please check the form")).to_be_visible()
    expect(page.get_by_text("Enter your full name.").last).to_be_visible()
    axe(page)

    page.get_by_label("Full name").fill("Robin Hale")
    page.get_by_label("E-mail address").fill("robin@example.com")
    page.get_by_label("Phone number").fill("07700 900555")
    answer(page, "Have you been to the clinic before?", "Yes, I have been before")
    page.get_by_label("I agree that the clinic keeps these details").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and book")

    # Someone else takes the time while Robin reads the summary.
    start = flow.start_parse(parse_qs(urlparse(page.url).query).get("start", [""])[0])
    if start is None:
        start = flow.start_parse(page.locator("input[name='start']").get_attribute("value") or "")
    appointment_book(
        treatment=Treatment.objects.get(slug="physiotherapy"),
        practitioner=Practitioner.objects.get(slug="maya-okafor"),
        starts_at=start,
        patient=PatientDetails(
            name="Quick Patient",
            email="quick@example.com",
            phone="07700 900111",
            is_new_patient=False,
        ),
        now=timezone.now(),
    )
    page.get_by_role("button", name="Book this appointment").click()

    expect(page.get_by_text("someone booked that time a moment before you")).to_be_visible()
    expect(page.get_by_text("Robin Hale")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Book this appointment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    robin = AppointmentRequest.objects.get(patient_name="Robin Hale")
    assert robin.starts_at != start


def test_patient_moves_an_appointment_through_the_manage_link(live_server, page, bookable, axe):
    treatment = Treatment.objects.get(slug="massage-therapy")
    aisha = Practitioner.objects.get(slug="aisha-rahman")
    now = timezone.now()
    days = available_start_times(
        treatment=treatment,
        practitioner=aisha,
        start=timezone.localdate() + timedelta(days=3),
        days=14,
        now=now,
    )
    first = next(iter(days.values()))[0]
    appointment = appointment_book(
        treatment=treatment,
        practitioner=aisha,
        starts_at=first.starts_at,
        patient=PatientDetails(
            name="Moving Patient",
            email="move@example.com",
            phone="07700 900222",
            is_new_patient=True,
        ),
        now=now,
    )

    page.goto(f"{live_server.url}/book/manage/{manage_token(appointment)}/")
    page.get_by_role("link", name="Change the time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new time")
    axe(page)
    page.get_by_role("link", name=TIME_LINK).nth(3).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move your appointment?")
    axe(page)
    page.get_by_role("button", name="Yes, move it to this time").click()

    expect(page.get_by_text("Your appointment has moved to the new time.")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.starts_at != first.starts_at
    assert appointment.is_active


def test_team_pages_are_accessible_and_book_with_the_practitioner(live_server, page, bookable, axe):
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Our team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Our team")
    axe(page)

    page.get_by_role("link", name="Tom Lindqvist", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tom Lindqvist")
    axe(page)

    page.get_by_role("link", name="Request acupuncture with Tom Lindqvist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a day and time")
    expect(page.get_by_text("Acupuncture, 45 min")).to_be_visible()
    expect(page.get_by_role("link", name=TIME_LINK).first).to_be_visible()
