"""Every link in an e-mail or calendar file points at SITE_URL, and production checks it."""

import subprocess
from pathlib import Path

import icalendar
import pytest
from django.core.checks import run_checks
from django.urls import reverse

from booking.emails import deliver_notification
from booking.ics import appointment_ics
from booking.links import book_url, ics_url, manage_token, manage_url
from booking.models import NotificationKind
from booking.notifications import queue_notification
from tests.booking.test_emails import NOW, STARTS, html_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def appointment(appointment_factory):
    return appointment_factory(starts_at=STARTS)


def test_links_are_built_from_site_url_with_its_port(appointment, settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    token = manage_token(appointment)

    assert manage_url(appointment) == f"http://127.0.0.1:8123/book/manage/{token}/"
    assert ics_url(appointment) == f"http://127.0.0.1:8123/book/manage/{token}/appointment.ics"
    assert book_url() == "http://127.0.0.1:8123/book/"


def test_email_and_calendar_file_carry_links_to_site_url(appointment, settings, mailoutbox):
    settings.SITE_URL = "http://127.0.0.1:8123"
    notification = queue_notification(
        appointment=appointment, kind=NotificationKind.REQUEST_RECEIVED
    )

    deliver_notification(notification_id=notification.pk, now=NOW)

    [message] = mailoutbox
    links = {manage_url(appointment), ics_url(appointment)}
    for body in (message.body, html_of(message)):
        for link in links:
            assert link in body
    event = icalendar.Calendar.from_ical(appointment_ics(appointment)).walk("VEVENT")[0]
    assert str(event["URL"]) == manage_url(appointment)


def test_the_links_in_an_email_open_the_appointment(client, appointment, settings):
    settings.SITE_URL = "http://testserver"

    manage = client.get(manage_url(appointment).removeprefix("http://testserver"), follow=True)
    calendar = client.get(ics_url(appointment).removeprefix("http://testserver"))

    assert manage.status_code == 200
    assert appointment.reference in manage.content.decode()
    assert calendar.status_code == 200


def _make_run_site_url(*args: str, env: dict) -> str:
    """The SITE_URL that `make run` gives its commands, from a dry run (nothing is started).

    A helper target made a prerequisite of `run` inherits run's target-specific
    variables, and `make -n` prints its recipe with them expanded.
    """
    helper = "run: print-site-url\nprint-site-url:\n\t@echo SITE_URL=$(SITE_URL)\n"
    result = subprocess.run(
        ["make", "-n", "-f", "Makefile", "-f", "-", "run", *args],  # noqa: S607
        input=helper,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        check=True,
    )
    [line] = [line for line in result.stdout.splitlines() if line.startswith("echo SITE_URL=")]
    return line.removeprefix("echo SITE_URL=")


def test_make_run_sets_site_url_from_host_and_port():
    assert _make_run_site_url("PORT=8123", env={}) == "http://127.0.0.1:8123"
    assert _make_run_site_url("HOST=0.0.0.0", "PORT=9000", env={}) == "http://0.0.0.0:9000"


def test_make_run_keeps_a_site_url_that_is_set():
    assert _make_run_site_url("PORT=8123", env={"SITE_URL": "https://tunnel.example"}) == (
        "https://tunnel.example"
    )


@pytest.mark.parametrize(
    "site_url",
    ["http://clinic.example", "https://localhost", "https://127.0.0.1:8000", "http://127.0.0.1"],
)
def test_deploy_check_fails_on_a_site_url_patients_cannot_reach(settings, site_url):
    settings.HTTPS = True
    settings.SITE_URL = site_url

    errors = [e for e in run_checks(include_deployment_checks=True) if e.id == "booking.E001"]

    assert len(errors) == 1
    assert site_url in errors[0].msg


def test_deploy_check_passes_a_public_https_site_url(settings):
    settings.HTTPS = True
    settings.SITE_URL = "https://clinic.example"

    assert not [e for e in run_checks(include_deployment_checks=True) if e.id == "booking.E001"]


def test_deploy_check_leaves_local_http_alone_when_https_is_off(settings):
    settings.HTTPS = False
    settings.SITE_URL = "http://127.0.0.1:8000"

    assert not [e for e in run_checks(include_deployment_checks=True) if e.id == "booking.E001"]


def test_ics_path_is_the_one_the_site_serves(appointment):
    assert ics_url(appointment).endswith(
        reverse("booking:ics", kwargs={"token": manage_token(appointment)})
    )
