"""In Chromium, with the picker's page cache and kept free times on as deployed: a
patient who has just booked, session and all, goes back to the picker and never
sees the time they took; the next visit comes from the cache again."""

import re

import pytest
from playwright.sync_api import expect

from booking.models import AppointmentRequest
from tests.e2e.screenshots import keep_screenshot
from tests.e2e.test_booking_last_mile import PHONE, bookable, fill_details  # noqa: F401 - a fixture
from tests.e2e.times import day_label, day_to_change, time_link_on

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.usefixtures("bookable")  # the demo, bookable at once
def test_back_to_the_picker_after_booking_the_time_taken_is_gone(live_server, browser, settings):
    # With the picker's caches on, as deployed.
    settings.BOOKING_TIMES_CACHE_SECONDS = 60
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 60
    page = browser.new_context(viewport=PHONE).new_page()
    day = day_to_change("tom-lindqvist")
    picker = (
        f"{live_server.url}/book/time/?treatment=physiotherapy"
        f"&practitioner=tom-lindqvist&week={day.isoformat()}"
    )
    assert page.goto(picker).headers["x-page-cache"] == "miss"
    assert page.goto(picker).headers["x-page-cache"] == "hit"
    first = time_link_on(page, day)
    taken = first.inner_text().split()[-1]  # "09:00"
    first.click()
    fill_details(page, needle=False)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    assert AppointmentRequest.objects.count() == 1
    assert any(c["name"] == "sessionid" for c in page.context.cookies())

    after = page.goto(picker)
    assert after.headers["x-page-cache"] == "miss"  # the booking made the stored copy stale
    label = f"{day_label(day)} at {taken}"
    expect(page.get_by_role("link", name=re.compile(rf"^{re.escape(label)}"))).to_have_count(0)
    expect(time_link_on(page, day)).to_be_visible()  # other times on the day are still there
    again = page.goto(picker)
    assert again.headers["x-page-cache"] == "hit"  # served with the session, as to anyone
    expect(page.get_by_role("link", name=re.compile(rf"^{re.escape(label)}"))).to_have_count(0)
    keep_screenshot(page, "picker-after-booking-phone")
    page.context.close()
