"""The pages people see when a limit or an outage stops them are accessible and clear."""

import io
import re
from datetime import timedelta

import pytest
from django.db.utils import OperationalError
from django.utils import timezone
from playwright.sync_api import expect

from booking import demo, flow, ratelimit
from booking.models import Practitioner, RateLimitCounter, Treatment
from booking.selectors import available_start_times

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_429_page_keeps_the_details_and_says_when_to_try_again(
    live_server, page, clinic, settings, axe
):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (3, 3600), "email": (0, 3600)}
    demo.load(stdout=io.StringIO())
    treatment = Treatment.objects.get(slug="physiotherapy-follow-up")
    maya = Practitioner.objects.get(slug="maya-okafor")
    times = available_start_times(
        treatment=treatment,
        practitioner=maya,
        start=timezone.localdate(),
        days=14,
        now=timezone.now(),
    )
    offered = next(iter(times.values()))[0]
    # This address has already made three attempts this hour.
    RateLimitCounter.objects.create(
        key=ratelimit._key("ip", "127.0.0.1"),
        count=3,
        window_ends_at=timezone.now() + timedelta(minutes=40),
    )
    page.goto(
        live_server.url
        + flow.url(
            "booking:details",
            treatment=treatment.slug,
            practitioner=maya.slug,
            start=flow.start_format(offered.starts_at),
        )
    )
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_label("Phone number").fill("07700 900123")
    page.get_by_role("group", name=re.compile("Have you been to the clinic before")).get_by_label(
        "No, this is my first visit"
    ).check()
    page.get_by_label("I agree that the clinic keeps these details").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and book")

    response_status = []
    page.on(
        "response",
        lambda r: response_status.append(r.status) if "/book/confirm/" in r.url else None,
    )
    page.get_by_role("button", name=re.compile("appointment")).click()

    expect(page.get_by_role("alert")).to_contain_text("press the button again after")
    expect(page.get_by_text("Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("ada@example.com")).to_be_visible()
    assert response_status == [429]
    axe(page)


def test_the_page_shown_while_the_database_is_away_is_accessible(
    live_server, page, clinic, monkeypatch, axe
):
    from clinic import identity

    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setattr(identity, "_load_clinic", unreachable)
    identity.forget_clinic()
    response = page.goto(live_server.url + "/privacy/")
    assert response.status == 503
    expect(page.get_by_role("heading", level=1)).to_have_text("We will be back in a moment")
    axe(page)


def test_the_page_for_an_unreadable_request_is_accessible(live_server, page, clinic, axe):
    response = page.goto(live_server.url + "/articles/?topic=%00")
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not read that request")
    page.get_by_role("link", name="Return to the home page").click()
    expect(page).to_have_url(live_server.url + "/")
    axe(page)
