"""No private-link token reaches a log record, whatever logger writes it.

The log formatters redact the token from the paths of private links
(tests/clinic/test_logs.py), but a token written bare ("booked, token=...")
matches no path. So this test captures every record any logger creates, at
every level, while a patient books, opens the link, moves, cancels, joins the
waitlist and claims an offer, with the e-mails sent, and searches each record
for every token those steps made.
"""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse

from booking import flow
from booking.links import manage_token
from booking.models import AppointmentRequest, AppointmentStatus, WaitlistEntry, WaitlistOffer
from tests.booking.booking_world import at, make_world
from tests.booking.conftest import LOCMEM_MAILERS
from tests.booking.test_booking_flow import confirm_data
from tests.booking.waitlist_world import IMMEDIATE_TASKS, entry_token, join, offer_time, offer_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.TASKS = IMMEDIATE_TASKS
    settings.MAILERS = LOCMEM_MAILERS
    world = make_world()
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    return world


@pytest.fixture
def every_log_record(monkeypatch):
    """Every LogRecord made while the test runs, at every level, by every logger."""
    records: list[logging.LogRecord] = []
    make = logging.getLogRecordFactory()

    def keep(*args, **kwargs):
        record = make(*args, **kwargs)
        records.append(record)
        return record

    monkeypatch.setattr(logging.Logger, "isEnabledFor", lambda self, level: True)
    logging.setLogRecordFactory(keep)
    try:
        yield records
    finally:
        logging.setLogRecordFactory(make)


def record_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), repr(vars(record))]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_no_log_record_of_booking_moving_cancelling_or_claiming_holds_a_token(
    client, world, every_log_record, django_capture_on_commit_callbacks, mailoutbox
):
    # A booking through the site, opened from its private link, moved and cancelled.
    with django_capture_on_commit_callbacks(execute=True):
        booked = client.post(
            reverse("booking:confirm"), confirm_data(world, 10, treatment=world.follow_up)
        )
    appointment = AppointmentRequest.objects.get()
    assert booked.status_code == 302
    page = client.get(reverse("booking:manage", kwargs={"token": manage_token(appointment)}))
    assert page.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(
            reverse("booking:reschedule", kwargs={"reference": appointment.reference}),
            {"start": flow.start_format(at(world.day, 11))},
        )
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client.post(
            reverse("booking:cancel", kwargs={"reference": appointment.reference})
        )
    appointment.refresh_from_db()
    assert moved.status_code == cancelled.status_code == 302
    assert appointment.starts_at == at(world.day, 11)
    assert appointment.status == AppointmentStatus.CANCELLED_BY_PATIENT

    # A place on the waitlist, an offer of Tom's 10:00, and the claim through its link.
    now = at(world.day, 8) - timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        join(world, "Ann One", now=now, email="ann@example.com")
        offer_time(world, now, 10)
    offer = WaitlistOffer.objects.get(entry__patient_name="Ann One")
    opened = client.get(reverse("booking:offer_link", kwargs={"token": offer_token(offer)}))
    with django_capture_on_commit_callbacks(execute=True):
        claimed = client.post(opened["Location"], {})
    assert claimed.status_code == 302
    assert AppointmentRequest.objects.filter(status=AppointmentStatus.CONFIRMED).count() == 1

    tokens = {manage_token(item) for item in AppointmentRequest.objects.all()}
    tokens |= {offer_token(item) for item in WaitlistOffer.objects.all()}
    tokens |= {entry_token(item) for item in WaitlistEntry.objects.all()}
    tokens.discard("")
    assert len(tokens) == 4
    # The e-mails carry the tokens (so the search below searches for the right strings)...
    mailed = "\n".join(message.body for message in mailoutbox)
    assert all(token in mailed for token in tokens)
    # ...and the steps wrote log records, none of which holds one.
    assert len(every_log_record) > 10
    for record in every_log_record:
        text = record_text(record)
        leaked = [token for token in tokens if token in text]
        assert not leaked, f"{record.name} logged a private token: {record.getMessage()[:200]}"
