"""Choosing a time in the picker for what a browser test needs, never "the first free one".

The first free time moves with the hour the suite runs: at 08:30 it is this
morning, inside the late-change window, where a patient can no longer cancel
online; at 23:50 on a Saturday it is Monday. A test that cancels or moves
asks for a day past the window (`day_to_change`); a test of the window asks
for one inside it. Both open the picker at that day and press a time on it by
its name ("Thursday 10 December at 09:00"), as a patient would.
"""

import re
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from playwright.sync_api import Page

from booking.availability import clinic_zone, late_cancellation_from
from booking.models import TimeSlot

TIME_LINK = re.compile(r"^\w+day \d+ \w+ at \d\d:\d\d")


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def day_to_change(practitioner_slug: str, *, margin: timedelta = timedelta(days=1)) -> date:
    """The practitioner's first working day that starts past the late-change window
    (and `margin` more), so an appointment on it can be moved or cancelled online."""
    after = late_cancellation_from(now=timezone.now()) + margin
    zone = clinic_zone()
    slots = TimeSlot.objects.filter(
        practitioner__slug=practitioner_slug, is_blocked=False, starts_at__gte=after
    ).order_by("starts_at")
    for slot in slots:
        day = timezone.localtime(slot.starts_at, zone).date()
        # The whole day must be past the window: the picker shows the day from its first time.
        if datetime.combine(day, time(0), tzinfo=zone) >= after:
            return day
    raise AssertionError(f"{practitioner_slug} has no working day past {after:%d %B %H:%M}")


def time_link_on(page: Page, day: date, nth: int = 0):
    """The `nth` time offered on `day` in the picker on screen."""
    return page.get_by_role("link", name=re.compile(rf"^{re.escape(day_label(day))} at ")).nth(nth)


def pick_time_on(page: Page, picker_url: str, day: date, nth: int = 0) -> None:
    """Open the picker at the week that starts on `day` and press its `nth` time."""
    separator = "&" if "?" in picker_url else "?"
    page.goto(f"{picker_url}{separator}week={day.isoformat()}")
    time_link_on(page, day, nth).click()


def choose_in_strip(page: Page, day: date) -> None:
    """As a patient does in the picker: the week's "Later" arrow until `day` shows in the
    strip of days, then that day."""
    in_strip = page.get_by_role("link", name=re.compile(rf"^{re.escape(day_label(day))}: "))
    for _week in range(10):
        if in_strip.count():
            break
        page.get_by_role("link", name="Later times").click()
    in_strip.click()
