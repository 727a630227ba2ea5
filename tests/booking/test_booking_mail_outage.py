"""A patient books while the mail server is down: the booking stands."""

import pytest
from django.urls import reverse

from booking import flow
from booking.models import AppointmentRequest, Notification, NotificationStatus
from tests.booking.booking_world import at, make_world, signed_details

pytestmark = pytest.mark.django_db(transaction=True)


def test_booking_through_the_site_survives_a_mail_server_that_raises(
    client, clinic, settings, mail_outage
):
    # E-mails are sent inside the request right after the commit, so the
    # failure happens as close to the booking as it can.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    world = make_world()
    world.slot(world.maya, 9, 13)
    data = {
        "treatment": "dry-needling",
        "practitioner": "maya-okafor",
        "start": flow.start_format(at(world.day, 10)),
        "details": signed_details(world.dry_needling),
    }

    response = client.post(reverse("booking:confirm"), data)

    appointment = AppointmentRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("booking:confirmed", kwargs={"reference": appointment.reference})
    statuses = set(Notification.objects.values_list("status", flat=True))
    assert statuses == {NotificationStatus.FAILED}  # recorded, retried later
    assert client.get(response.url).status_code == 200
