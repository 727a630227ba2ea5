"""Staff login lockouts behind a proxy: one person's wrong passwords lock only them out."""

import pytest
from django.urls import reverse

from tests.booking.staff_world import PASSWORD, staff_user

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def login(client, address, password):
    return client.post(
        reverse("admin:login"),
        {"username": "desk", "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=address,
    )


def test_wrong_passwords_behind_the_proxy_lock_out_only_that_client(client, clinic, settings):
    settings.BEHIND_PROXY, settings.BEHIND_PROXY_COUNT = True, 1
    settings.AXES_FAILURE_LIMIT = 3
    staff_user("desk", None)
    for _ in range(3):
        attacker = login(client, "198.51.100.66", "wrong")
    assert attacker.status_code == 429

    colleague = login(client, "192.0.2.15", PASSWORD)

    assert colleague.status_code == 302
    assert colleague.url == reverse("admin:index")
