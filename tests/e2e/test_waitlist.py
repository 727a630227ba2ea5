"""The waitlist in Chromium, as issue 12 asks, with JavaScript on and off.

Patient A books the last free time of a day; B and then C join the waitlist
for that day; A cancels through the private link; B and C get the offer by
e-mail; B claims it and is booked; C is told someone was quicker and stays
on the list. Every page is checked with axe, error states included, and
photographed at phone and desktop widths for a person to look at.
"""

import io
import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking import demo
from booking.intake.questions import kept_values
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    Practitioner,
    WaitlistEntry,
    WaitlistEntryStatus,
    WaitlistOffer,
    WaitlistOfferStatus,
)
from booking.selectors import clinic_zone
from booking.services import appointment_change_status
from tests.booking.intake_world import ALL_NO
from tests.e2e.screenshots import keep_screenshot
from tests.e2e.test_booking_flow import NoScriptAxe

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
TIME_LINK = re.compile(r"^\w+day \d+ \w+ at \d\d:\d\d")
URL = re.compile(r"https?://\S+")


@pytest.fixture
def full_day(clinic, settings, live_server):
    """The demo clinic, with one free time left on Tom Lindqvist's fully booked day."""
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    settings.BOOKING_TIMES_CACHE_SECONDS = 0
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    settings.TASKS = IMMEDIATE_TASKS
    settings.SITE_URL = live_server.url
    demo.load(stdout=io.StringIO())
    demo.load_showcase(stdout=io.StringIO())
    tom = Practitioner.objects.get(slug="tom-lindqvist")
    first = AppointmentRequest.objects.filter(practitioner=tom).order_by("starts_at").first()
    appointment_change_status(
        appointment_id=first.pk,
        to_status=AppointmentStatus.CANCELLED_BY_CLINIC,
        now=timezone.now(),
        note="Tom is away that day.",
        notify=False,
    )
    return first.starts_at.astimezone(clinic_zone()).date()


def context(browser, *, js: bool, viewport=PHONE):
    return browser.new_context(java_script_enabled=js, viewport=viewport)


def times_of_the_day(page, day):
    return page.get_by_role("link", name=re.compile(rf"^{day:%A %-d %B} at \d\d:\d\d"))


def picker_url(live_server, day) -> str:
    return (
        f"{live_server.url}/book/time/?treatment=physiotherapy-follow-up"
        f"&practitioner=tom-lindqvist&day={day.isoformat()}"
    )


def fill_details(page, *, name: str, email: str) -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Phone number").fill("07700 900123")
    page.get_by_role("group", name=re.compile("Have you been to the clinic before")).get_by_label(
        "No, this is my first visit"
    ).check()
    page.get_by_label("What would you like help with? (optional)").fill("Sore knee after running")
    page.get_by_label("I agree that the clinic keeps these details").check()


def join_for(
    page, live_server, day, *, name: str, email: str, axe, shot: str = "", full: bool = True
) -> None:
    """From the time picker, "Join the waitlist" for one day (`full`: it has no time left)."""
    page.goto(picker_url(live_server, day))
    if full:
        expect(times_of_the_day(page, day)).to_have_count(0)
        expect(page.get_by_text(f"{day:%A %-d %B} is fully booked.")).to_be_visible()
        page.get_by_role("link", name="Join the waitlist for it").click()
    else:
        page.get_by_role("link", name="Join the waitlist", exact=True).last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the waitlist")
    expect(page.get_by_label("Treatment")).to_have_value("physiotherapy-follow-up")
    expect(page.get_by_label("Practitioner")).to_have_value("tom-lindqvist")
    page.get_by_label("From").fill(day.isoformat())
    page.get_by_label("Until").fill(day.isoformat())
    fill_details(page, name=name, email=email)
    axe(page)
    if shot:
        keep_screenshot(page, f"waitlist-join-{shot}")
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your place on the waitlist")
    expect(page.get_by_text("You are on the waitlist.")).to_be_visible()
    axe(page)
    if shot:
        keep_screenshot(page, f"waitlist-entry-{shot}")


def link_in(mail, path: str) -> str:
    return next(url for url in URL.findall(mail.body) if path in url)


def test_a_cancelled_time_goes_to_the_waitlist_and_the_first_claim_books_it(
    live_server, browser, full_day, axe, mailoutbox
):
    day = full_day
    # A books the last free time of the day (JavaScript on, phone).
    a_context = context(browser, js=True)
    a = a_context.new_page()
    a.goto(picker_url(live_server, day))
    expect(times_of_the_day(a, day)).to_have_count(1)
    times_of_the_day(a, day).click()
    fill_details(a, name="Ann Archer", email="ann@example.com")
    a.get_by_role("button", name="Continue").click()
    a.get_by_role("button", name="Book this appointment").click()
    expect(a.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    booked = AppointmentRequest.objects.get(email="ann@example.com")

    # B joins the waitlist for that day with JavaScript off, C with it on.
    b_context = context(browser, js=False)
    b = b_context.new_page()
    no_js_axe = NoScriptAxe(browser, axe, live_server.url)
    join_for(
        b, live_server, day, name="Ben Baker", email="ben@example.com", axe=no_js_axe, shot="390"
    )
    c_context = context(browser, js=True, viewport=DESKTOP)
    c = c_context.new_page()
    join_for(c, live_server, day, name="Cara Cole", email="cara@example.com", axe=axe, shot="1280")
    assert list(WaitlistEntry.objects.order_by("created_at").values_list("email", "status")) == [
        ("ben@example.com", "waiting"),
        ("cara@example.com", "waiting"),
    ]

    # A cancels through the manage link in the confirmation e-mail.
    [confirmation] = [m for m in mailoutbox if m.to == ["ann@example.com"]]
    a.goto(link_in(confirmation, "/book/manage/"))
    a.get_by_role("link", name="Cancel the appointment").click()
    a.get_by_role("button", name="Yes, cancel the appointment").click()
    expect(a.get_by_text("Your appointment is cancelled.")).to_be_visible()

    # B's and C's offers arrive; neither carries a health detail.
    offers = {m.to[0]: m for m in mailoutbox if m.subject.startswith("A time has come free")}
    assert set(offers) == {"ben@example.com", "cara@example.com"}
    when = booked.starts_at.astimezone(clinic_zone())
    for mail in offers.values():
        assert f"{when:%H:%M}" in mail.subject
        html = mail.alternatives[0][0]
        assert "Sore knee" not in mail.body and "Sore knee" not in html

    # B claims through the link: the page only shows the time; the button books it.
    b.goto(link_in(offers["ben@example.com"], "/book/offer/link/"))
    expect(b.get_by_role("heading", level=1)).to_have_text("A time has come free for you")
    assert "/link/" not in b.url
    assert AppointmentRequest.objects.active().filter(starts_at=booked.starts_at).count() == 0
    no_js_axe(b)
    keep_screenshot(b, "waitlist-claim-390")
    b.get_by_role("button", name="Book this time").click()
    expect(b.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    no_js_axe(b)

    # C is told the time was taken, sees the nearest free times, and stays on the list.
    c.goto(link_in(offers["cara@example.com"], "/book/offer/link/"))
    expect(c.get_by_role("heading", level=1)).to_have_text("This time is no longer free")
    expect(c.get_by_text("Someone was quicker")).to_be_visible()
    expect(c.get_by_text("You are still on the waitlist")).to_be_visible()
    expect(c.get_by_role("heading", name="Nearest free times")).to_be_visible()
    axe(c)
    keep_screenshot(c, "waitlist-quicker-1280")
    c.set_viewport_size(PHONE)
    keep_screenshot(c, "waitlist-quicker-390")

    [taken] = AppointmentRequest.objects.active().filter(starts_at=booked.starts_at)
    assert taken.email == "ben@example.com"
    entries = dict(WaitlistEntry.objects.values_list("email", "status"))
    assert entries == {
        "ben@example.com": WaitlistEntryStatus.BOOKED,
        "cara@example.com": WaitlistEntryStatus.WAITING,
    }
    assert dict(WaitlistOffer.objects.values_list("entry__email", "status")) == {
        "ben@example.com": WaitlistOfferStatus.CLAIMED,
        "cara@example.com": WaitlistOfferStatus.TAKEN,
    }
    for ctx in (a_context, b_context, c_context):
        ctx.close()
    no_js_axe.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_join_form_in_its_error_state_keeps_the_details_and_has_no_axe_violations(
    live_server, browser, full_day, axe, viewport
):
    page = context(browser, js=True, viewport=viewport).new_page()
    page.goto(picker_url(live_server, full_day))
    page.get_by_role("link", name="Join the waitlist", exact=True).last.click()
    page.get_by_label("Full name").fill("Ben Baker")
    page.get_by_label("Until").fill((full_day - timedelta(days=1)).isoformat())
    page.get_by_label("From").fill(full_day.isoformat())
    for label in ("Mornings", "Afternoons", "Evenings"):
        page.get_by_label(re.compile(label)).uncheck()
    page.get_by_role("button", name="Join the waitlist").click()

    expect(page.get_by_role("heading", name="Please check the form")).to_be_visible()
    expect(page.get_by_text("The last day cannot be before the first day.").first).to_be_visible()
    expect(page.get_by_text("Choose at least one time of day.").first).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Ben Baker")
    assert page.evaluate("document.activeElement.dataset.errorSummary !== undefined")
    axe(page)
    keep_screenshot(page, f"waitlist-join-errors-{viewport['width']}")
    assert WaitlistEntry.objects.count() == 0


@pytest.mark.parametrize("js", [False, True], ids=["no-js", "js"])
def test_find_my_booking_answers_alike_and_e_mails_only_a_known_address(
    live_server, browser, full_day, axe, mailoutbox, js
):
    ctx = context(browser, js=js)
    page = ctx.new_page()
    check = NoScriptAxe(browser, axe, live_server.url) if not js else axe
    booked = AppointmentRequest.objects.active().order_by("starts_at").first()

    answers = []
    for address in (booked.email, "nobody-here@example.com"):
        page.goto(live_server.url + "/book/manage/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Find my booking")
        page.get_by_label("E-mail address").fill(address)
        page.get_by_role("button", name="Send me my links").click()
        expect(page.get_by_role("status")).to_contain_text(
            "If we have bookings for that address, we are sending it their private links now."
        )
        answers.append((page.url, page.locator("main").inner_text()))
        check(page)
    assert answers[0] == answers[1]
    keep_screenshot(page, f"find-sent-{'js' if js else 'nojs'}-390")
    assert [m.to for m in mailoutbox] == [[booked.email]]
    assert booked.reference in mailoutbox[0].body

    page.goto(live_server.url + "/book/manage/")
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_role("button", name="Send me my links").click()
    expect(page.get_by_text("Enter an e-mail address like name@example.com.").first).to_be_visible()
    check(page)
    if not js:
        check.close()
    ctx.close()


# --- More pages, each clean under axe -------------------------------------------------------------


def offer_dry_needling(now):
    """Ben waits for dry needling with Maya on her next working day; its first time is offered."""
    from booking.models import TimeSlot, Treatment
    from booking.services import PatientDetails
    from booking.waitlist.offers import offers_make
    from booking.waitlist.services import waitlist_join

    maya = Practitioner.objects.get(slug="maya-okafor")
    slot = TimeSlot.objects.filter(practitioner=maya, starts_at__gte=now + timedelta(days=2))
    day = slot.earliest("starts_at").starts_at.astimezone(clinic_zone()).date()
    waitlist_join(
        treatment=Treatment.objects.get(slug="dry-needling"),
        practitioner=maya,
        first_day=day,
        last_day=day,
        times_of_day=(True, True, True),
        details=PatientDetails(
            name="Ben Baker", email="ben@example.com", phone="07700 900123", is_new_patient=True
        ),
        now=now,
        privacy_notice_version="2026-11",
    )
    start = datetime.combine(day, time(0), tzinfo=clinic_zone())
    [offer] = offers_make(
        now=now,
        window_start=start,
        window_end=start + timedelta(days=1),
        practitioner_ids=[maya.pk],
    )
    return offer


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_needle_claim_asks_the_safety_questions_and_its_error_state_is_clean(
    live_server, browser, full_day, axe, mailoutbox, viewport
):
    offer_dry_needling(timezone.now())
    [mail] = [m for m in mailoutbox if m.subject.startswith("A time has come free")]
    page = context(browser, js=True, viewport=viewport).new_page()

    page.goto(link_in(mail, "/book/offer/link/"))
    safety = page.get_by_role("group", name="Safety questions for needle treatments")
    expect(safety).to_be_visible()
    axe(page)
    # The demo's dry needling is booked at once when every safety answer is no.
    page.get_by_role("button", name="Book this time").click()

    expect(page.get_by_role("heading", name="Please check the form")).to_be_visible()
    expect(safety.get_by_text("Tick each one that applies to you")).to_be_visible()
    axe(page)
    keep_screenshot(page, f"waitlist-claim-errors-{viewport['width']}")
    safety.get_by_label("None of these apply to me").check()
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    booked = AppointmentRequest.objects.filter(email="ben@example.com").get()
    assert kept_values(booked.answers) == ALL_NO


def test_a_patient_leaves_the_waitlist_from_the_link_in_the_email_without_javascript(
    live_server, browser, full_day, axe, mailoutbox
):
    page = context(browser, js=False).new_page()
    check = NoScriptAxe(browser, axe, live_server.url)
    join_for(
        page,
        live_server,
        full_day,
        name="Ben Baker",
        email="ben@example.com",
        axe=check,
        full=False,
    )
    [joined] = [m for m in mailoutbox if m.subject.startswith("You are on the waitlist")]
    page.context.clear_cookies()

    page.goto(link_in(joined, "/book/waitlist/link/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your place on the waitlist")
    page.get_by_role("link", name="Leave the waitlist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leave the waitlist?")
    check(page)
    page.get_by_role("button", name="Yes, leave the waitlist").click()

    expect(page.get_by_text("You have left the waitlist.")).to_be_visible()
    check(page)
    assert WaitlistEntry.objects.get().status == WaitlistEntryStatus.LEFT
    check.close()


def test_staff_see_the_waitlist_offer_a_free_time_now_and_read_the_offers(
    live_server, browser, full_day, axe, mailoutbox
):
    from tests.booking.staff_world import PASSWORD, ensure_roles, staff_user

    ensure_roles()
    staff_user("desk", "Front desk")
    offer_dry_needling(timezone.now())
    WaitlistOffer.objects.update(status=WaitlistOfferStatus.EXPIRED)
    for viewport in (PHONE, DESKTOP):
        page = context(browser, js=True, viewport=viewport).new_page()
        page.goto(live_server.url + "/admin/")
        page.get_by_label("Username").fill("desk")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        expect(page.get_by_role("link", name="1 person on the waitlist")).to_be_visible()
        axe(page)
        page.get_by_role("link", name="1 person on the waitlist").click()
        expect(page.get_by_role("link", name="Ben Baker")).to_be_visible()
        axe(page)
        page.get_by_role("link", name="Ben Baker").click()
        expect(page.get_by_role("heading", name="Times offered")).to_be_visible()
        axe(page)
        page.go_back()
        page.get_by_role("link", name="Offer a free time now").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Offer a free time now")
        axe(page)
        keep_screenshot(page, f"waitlist-offer-now-{viewport['width']}")
        page.get_by_role("button", name=re.compile("^Offer now")).first.click()
        expect(page.get_by_text(re.compile(r"offered to 1 person: Ben Baker"))).to_be_visible()
        axe(page)
        page.goto(live_server.url + "/admin/booking/waitlistoffer/")
        expect(page.get_by_role("row").filter(has_text="Ben Baker").first).to_be_visible()
        axe(page)
        page.context.close()
    assert WaitlistOffer.objects.filter(status=WaitlistOfferStatus.OPEN).count() == 2


@pytest.mark.parametrize("js", [False, True], ids=["no-js", "js"])
def test_toms_full_day_is_named_full_on_his_week_with_the_waitlist_beside_it(
    live_server, browser, clinic, settings, axe, js
):
    settings.BOOKING_TIMES_CACHE_SECONDS = 0
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    demo.load(stdout=io.StringIO())
    demo.load_showcase(stdout=io.StringIO())
    tom = Practitioner.objects.get(slug="tom-lindqvist")
    treatment = tom.treatments.active().order_by("duration_minutes").first()
    full = AppointmentRequest.objects.filter(practitioner=tom).earliest("starts_at")
    day = full.starts_at.astimezone(clinic_zone()).date()
    label = f"{day:%A %-d %B}"
    page = context(browser, js=js).new_page()
    check = NoScriptAxe(browser, axe, live_server.url) if not js else axe

    page.goto(f"{live_server.url}/book/time/?treatment={treatment.slug}&practitioner={tom.slug}")
    while not page.get_by_role("link", name=f"{label}: fully booked").count():
        page.get_by_role("link", name="Later times").click()

    expect(page.get_by_role("link", name=f"{label}: fully booked")).to_be_visible()
    note = page.get_by_text(re.compile(rf"Fully booked: {label}\."))
    expect(note).to_be_visible()
    expect(note.get_by_role("link", name="Join the waitlist")).to_be_visible()
    check(page)

    page.get_by_label("Go to a date").fill(day.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text(f"{label} is fully booked.")).to_be_visible()
    expect(page.get_by_role("link", name="Join the waitlist for it")).to_be_visible()
    expect(page.get_by_text("Nearest days with times:")).to_be_visible()
    check(page)
    if not js:
        check.close()
