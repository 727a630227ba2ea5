"""`make run` prints each e-mail as a person reads it, with links that work when copied."""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from booking.emails import deliver_notification
from booking.models import AppointmentRequest, Notification
from clinic.terminal_mail import EmailBackend
from tests.booking.booking_world import make_world
from tests.booking.test_booking_flow import confirm_data

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+")


@pytest.fixture
def printed(settings, monkeypatch):
    settings.SITE_URL = "http://127.0.0.1:8123"
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    settings.MAILERS = {"default": {"BACKEND": "clinic.terminal_mail.EmailBackend"}}
    stream = io.StringIO()
    original = EmailBackend.__init__

    def to_stream(self, *args, **kwargs):
        original(self, *args, stream=stream, **kwargs)

    monkeypatch.setattr(EmailBackend, "__init__", to_stream)
    return stream


def test_a_booking_prints_its_email_with_a_header_line_and_whole_links_that_open(
    client, clinic, printed
):
    world = make_world()
    world.slot(world.maya, 9, 13)
    client.post(reverse("booking:confirm"), confirm_data(world, 10, treatment=world.follow_up))
    appointment = AppointmentRequest.objects.get()
    for notification in Notification.objects.filter(appointment=appointment):
        deliver_notification(notification_id=notification.pk)

    text = printed.getvalue()
    assert "E-mail to sam.patel@example.com: " in text
    assert "=3D" not in text and "Content-Transfer-Encoding" not in text
    links = LINK.findall(text)
    manage = [link for link in links if "/book/manage/" in link and link.endswith("/")]
    ics = [link for link in links if link.endswith(".ics")]
    assert manage and ics, text
    # Copied from the terminal, each opens: the manage page, and the calendar file.
    opened = client.get(urlsplit(manage[0]).path, follow=True)
    assert opened.status_code == 200 and appointment.reference in opened.content.decode()
    calendar = client.get(urlsplit(ics[0]).path)
    assert calendar.status_code == 200
    assert calendar["Content-Type"].startswith("text/calendar")
    assert "[attached: appointment-" in text


def test_the_backend_prints_nothing_but_what_a_person_reads():
    stream = io.StringIO()
    message = mail.EmailMultiAlternatives(
        "Your appointment", "Hello.\n\nhttps://clinic.example/" + "x" * 120, to=["a@example.com"]
    )
    message.attach_alternative("<p>Hello</p>", "text/html")

    assert EmailBackend(stream=stream).send_messages([message]) == 1

    text = stream.getvalue()
    assert "E-mail to a@example.com: Your appointment" in text
    assert "https://clinic.example/" + "x" * 120 in text  # one line, never split
    assert "<p>" not in text
