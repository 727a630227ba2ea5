"""The waitlist list on a 1280×800 laptop, as the front desk reads it: a row a line or two."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking import demo
from booking.models import Practitioner, Treatment, WaitlistOffer, WaitlistOfferStatus
from booking.services import PatientDetails
from booking.waitlist.services import waitlist_join
from tests.booking.staff_world import PASSWORD, ensure_roles, staff_user
from tests.e2e.screenshots import keep_screenshot
from tests.e2e.test_waitlist import offer_dry_needling

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1280, "height": 800}

# The lines of text in each cell of the list, at most: (height - padding) / line height.
LINES_PER_CELL = """rows => rows.map(row => Math.max(...[...row.cells].map(cell => {
  const style = getComputedStyle(cell);
  const text = cell.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  return Math.round(text / parseFloat(style.lineHeight));
})))"""


def join(name, *, treatment, practitioner, first_day, days, times_of_day):
    waitlist_join(
        treatment=treatment,
        practitioner=practitioner,
        first_day=first_day,
        last_day=first_day + timedelta(days=days),
        times_of_day=times_of_day,
        details=PatientDetails(
            name=name,
            email=f"{name.split()[0].lower()}@example.com",
            phone="07700 900123",
            is_new_patient=True,
        ),
        now=timezone.now(),
        privacy_notice_version="2026-11",
    )


@pytest.fixture
def waiting(clinic):
    """The demo clinic with four people waiting: long names, ranges and one expired offer."""
    demo.load(stdout=io.StringIO())
    ensure_roles()
    staff_user("desk", "Front desk")
    today = timezone.localdate()
    tom = Practitioner.objects.get(slug="tom-lindqvist")
    follow_up = Treatment.objects.get(slug="physiotherapy-follow-up")
    needling = Treatment.objects.get(slug="dry-needling")
    offer_dry_needling(timezone.now())
    WaitlistOffer.objects.update(status=WaitlistOfferStatus.EXPIRED)
    join(
        "Amal Hussain",
        treatment=needling,
        practitioner=tom,
        first_day=today,
        days=11,
        times_of_day=(True, False, True),
    )
    join(
        "Cara Cole-Montgomery",
        treatment=follow_up,
        practitioner=None,
        first_day=today + timedelta(days=3),
        days=0,
        times_of_day=(False, True, False),
    )
    join(
        "Dev Anand",
        treatment=follow_up,
        practitioner=None,
        first_day=today + timedelta(days=14),
        days=13,
        times_of_day=(True, True, True),
    )


def test_the_waitlist_and_its_offers_fit_a_laptop_a_row_a_line_or_two_and_axe_finds_nothing(
    live_server, browser, waiting, axe
):
    page = browser.new_context(viewport=LAPTOP).new_page()
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("desk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Waitlist", exact=True).click()

    expect(page.get_by_role("link", name="Cara Cole-Montgomery")).to_be_visible()
    expect(page.locator(".paginator")).to_contain_text("4 waitlist entries")
    expect(page.get_by_role("row").filter(has_text="Ben Baker")).to_contain_text("Waiting1 offer")
    keep_screenshot(page, "waitlist-list-1280")
    lines = page.locator("#result_list tbody tr").evaluate_all(LINES_PER_CELL)
    assert len(lines) == 4 and max(lines) <= 2, lines
    results = page.locator(".results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth"), (
        "the list scrolls sideways"
    )
    # A screen reader hears the days in words ("7 to 18 December 2026").
    spoken = page.locator("#result_list .field-days .visually-hidden").all_inner_texts()
    assert all(
        re.fullmatch(r"(\w+day )?\d+( \w+)?( \d{4})?( to \d+ \w+ \d{4})?", s) for s in spoken
    )
    axe(page)

    page.get_by_role("link", name="Offers sent").click()
    expect(page.locator(".paginator")).to_contain_text("1 waitlist offer")
    keep_screenshot(page, "waitlist-offers-1280")
    lines = page.locator("#result_list tbody tr").evaluate_all(LINES_PER_CELL)
    assert lines == [2], lines
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth"), "it scrolls sideways"
    axe(page)
