"""Every public page type and every booking step, happy and in error: one tour for
the checks that must hold on all of them (the HTML checker, axe, the header search).
"""

import io
import re
from collections.abc import Iterator

from playwright.sync_api import Page, expect

from articles.demo import load as load_content
from booking import demo
from booking.models import AppointmentRequest

TIME_LINK = re.compile(r"^\w+day \d+ \w+ at \d\d:\d\d")

# One page of each public type, by the address a visitor would open.
PUBLIC_PAGES = {
    "home": "/",
    "article list": "/articles/",
    "article detail": "/articles/dry-needling-explained/",
    "service list": "/services/",
    "service detail": "/services/dry-needling/",
    "condition list": "/conditions/",
    "condition detail": "/conditions/heel-pain/",
    "team": "/team/",
    "practitioner": "/team/maya-okafor/",
    "privacy": "/privacy/",
    "booking start": "/book/",
    "find my booking": "/book/manage/",
    "search results": "/search/?q=trigger+point",
    "search without results": "/search/?q=zzzz",
    "not found": "/no-such-page/",
}


def load_whole_demo(settings) -> None:
    """The demo clinic with its content and bookable times; no limit gets in a test's way."""
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    settings.BOOKING_TIMES_CACHE_SECONDS = 0
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    demo.load(stdout=io.StringIO())
    load_content(stdout=io.StringIO())


def group(page: Page, question: str):
    return page.get_by_role("group", name=re.compile(re.escape(question)))


def fill_details(page: Page) -> None:
    page.get_by_label("Full name").fill("Sam Patel")
    page.get_by_label("E-mail address").fill("sam.patel@example.com")
    page.get_by_label("Phone number").fill("07700 900123")
    group(page, "Have you been to the clinic before?").get_by_label(
        "Yes, I have been before"
    ).check()
    safety = page.get_by_role("group", name="Safety questions for needle treatments")
    if safety.count():
        safety.get_by_label("None of these apply to me").check()
    page.get_by_label("I agree that the clinic keeps these details").check()


def booking_tour(page: Page, base: str) -> Iterator[str]:
    """Walk the booking flow, yielding a name at each page it shows: the happy path
    to a booked appointment, then each step in its error state."""
    page.goto(base + "/book/")
    yield "treatment step"
    page.get_by_label(re.compile(r"Dry needling ·")).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a practitioner")
    yield "practitioner step"
    page.get_by_label(re.compile(r"Dr Maya Okafor")).check()
    page.get_by_role("button", name="Continue").click()
    yield "time step"
    page.get_by_role("link", name=TIME_LINK).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    yield "details step"
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Please check the form")).to_be_visible()
    yield "details step with errors"
    fill_details(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Check and"))
    yield "review step"
    page.get_by_role("button", name=re.compile(r"^(Request|Book) this appointment")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
    yield "confirmation"

    page.goto(base + "/book/practitioner/")
    expect(
        page.get_by_role("link", name="Which treatment would you like? Choose a treatment.")
    ).to_be_visible()
    yield "practitioner step without a treatment"
    page.goto(base + "/book/time/?treatment=dry-needling")
    expect(page.get_by_text("Choose a practitioner, or the first available.")).to_be_visible()
    yield "time step without a practitioner"
    page.goto(base + "/book/details/?treatment=dry-needling&practitioner=maya-okafor&start=x")
    expect(page.get_by_text("We could not read that time.")).to_be_visible()
    yield "details step with an unreadable time"
    page.goto(base + "/book/confirm/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This step cannot be shown again")
    yield "a restored confirmation tab"
    page.goto(base + f"/book/appointment/{AppointmentRequest.objects.get().reference}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your appointment")
    yield "the booked appointment's page"
    page.goto(base + "/book/manage/")
    page.get_by_role("button", name=re.compile(r"^(Send|E-mail)")).click()
    yield "find my booking with errors"
