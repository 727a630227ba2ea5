import io

import pytest
from django.core.management import call_command

from clinic.identity import forget_clinic

from .walker import walk


@pytest.fixture
def site_walk(client, clinic, settings):
    """The demo site as a visitor without JavaScript finds it, booking included."""
    call_command("load_demo", stdout=io.StringIO())
    call_command("generate_slots", stdout=io.StringIO())
    # Every offered time is then far enough ahead to be moved or cancelled
    # online, so the walk reaches the manage pages' own forms.
    clinic.min_notice_hours = clinic.late_cancellation_hours + 24
    clinic.save()
    forget_clinic()
    settings.BOOKING_MIN_FILL_SECONDS = 0
    # The confirmation page shows the private link on the site's own address.
    settings.SITE_URL = "http://testserver"
    # No page links to search yet (only its own form does), so it is a second way in.
    return walk(client, start=("/", "/search/"))
