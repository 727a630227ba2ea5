"""Hostile and broken input: never a 500, never a half-made booking."""

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from booking import flow
from booking.models import AppointmentRequest, AppointmentStatusChange, Notification
from tests.booking.booking_world import at, make_world, signed_details

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    world = make_world()
    world.slot(world.maya, 9, 13)
    return world


def assert_nothing_saved():
    assert AppointmentRequest.objects.count() == 0
    assert AppointmentStatusChange.objects.count() == 0
    assert Notification.objects.count() == 0


NASTY = [
    "\x00",
    "dry-needling\x00",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "x" * 5000,
    "dry needling",
    "💉",
]


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize("step", ["booking:start", "booking:practitioner", "booking:time"])
def test_nasty_query_values_get_a_page_not_an_error(client, world, step, value):
    for key in ["treatment", "practitioner", "with", "week", "start"]:
        params = {"treatment": "dry-needling", "practitioner": "maya-okafor", key: value}

        response = client.get(reverse(step), params)

        assert response.status_code in {200, 302, 400}, (key, response.status_code)


@pytest.mark.parametrize("value", [*NASTY, "00010101T0000Z", "99991231T2345Z", "20261301T1000Z"])
def test_nasty_start_on_the_details_step_goes_back_to_the_times(client, world, value):
    params = {"treatment": "dry-needling", "practitioner": "maya-okafor", "start": value}

    response = client.get(reverse("booking:details"), params)

    assert response.status_code == 302
    assert response.url.startswith(reverse("booking:time"))


@pytest.mark.parametrize("value", ["00010101T0000Z", "99991231T2345Z", "21000101T1000Z"])
def test_absurd_times_on_confirm_are_refused_without_a_booking(client, world, value):
    data = {
        "treatment": "dry-needling",
        "practitioner": "maya-okafor",
        "start": value,
        "details": signed_details(world.dry_needling),
    }

    response = client.post(reverse("booking:confirm"), data)

    assert response.status_code in {302, 400}
    assert_nothing_saved()


@pytest.mark.parametrize("token", ["\x00" * 43, "a" * 500, "short", "%00", "x" * 43])
def test_nasty_manage_tokens_are_not_found(client, world, token):
    for suffix in ["", "cancel/", "move/", "appointment.ics"]:
        response = client.get(f"/book/manage/{quote(token, safe='')}/{suffix}")
        assert response.status_code == 404, (suffix, response.status_code)
    assert client.post(f"/book/manage/{'x' * 43}/cancel/").status_code == 404


def test_markup_in_details_is_shown_as_text(client, world):
    url = flow.url(
        "booking:details",
        treatment="physiotherapy-follow-up",
        practitioner="maya-okafor",
        start=flow.start_format(at(world.day, 10)),
    )

    response = client.post(
        url,
        {
            "name": "<script>alert('x')</script>",
            "email": "a@example.com",
            "phone": "+44 (0)7700 900-123",
            "patient_type": "returning",
            "reason": "<img src=x onerror=alert(1)>",
            "consent": "on",
        },
        follow=True,
    )

    content = response.content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert" in content
    assert "<img src=x" not in content


def test_nul_bytes_in_the_details_form_get_a_message(client, world):
    url = flow.url(
        "booking:details",
        treatment="physiotherapy-follow-up",
        practitioner="maya-okafor",
        start=flow.start_format(at(world.day, 10)),
    )

    response = client.post(
        url,
        {
            "name": "Sam\x00Patel",
            "email": "a@example.com",
            "phone": "07700 900123",
            "patient_type": "new",
            "consent": "on",
        },
        follow=True,
    )

    assert [status for _url, status in response.redirect_chain] == [303]
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert_nothing_saved()


def test_confirm_without_a_csrf_token_is_refused_politely(world):
    client = Client(enforce_csrf_checks=True)
    data = {
        "treatment": "dry-needling",
        "practitioner": "maya-okafor",
        "start": flow.start_format(at(world.day, 10)),
        "details": signed_details(world.dry_needling),
    }

    response = client.post(reverse("booking:confirm"), data)

    assert response.status_code == 403
    assert_nothing_saved()


def test_details_signed_for_another_purpose_are_refused(client, world):
    from django.core import signing

    data = {
        "treatment": "dry-needling",
        "practitioner": "maya-okafor",
        "start": flow.start_format(at(world.day, 10)),
        "details": signing.dumps({"name": "x"}),
    }

    response = client.post(reverse("booking:confirm"), data)

    assert response.status_code == 400
    assert_nothing_saved()
