"""Booking rules of booking/availability.py that mutation testing found untested.

Each test here failed with a mutant of `make mutate` applied (docs/testing.md,
"Mutation testing") and states the rule that mutant broke.
"""

from datetime import date

import pytest

from booking.availability import request_confirmable_from
from booking.models import ClinicClosure
from clinic.identity import forget_clinic
from clinic.models import ClinicProfile, OpeningHours
from tests.booking.booking_world import at

pytestmark = pytest.mark.django_db

# The demo clinic opens 08:00-13:00 and 14:00-19:00 on weekdays, 09:00-13:00 on Saturdays.
THURSDAY = date(2027, 7, 1)


def _set_clinic(**fields):
    ClinicProfile.objects.update(**fields)
    forget_clinic()


def test_notice_used_up_at_closing_time_lets_a_request_start_then(clinic):
    # Five opening hours from Thursday 08:00 run out at 13:00 sharp: staff have
    # had their five hours, so a practitioner working through lunch can be
    # requested for 13:00, not only from 14:00 when the clinic reopens.
    _set_clinic(request_notice_hours=5)

    assert request_confirmable_from(now=at(THURSDAY, 8)) == at(THURSDAY, 13)


def test_after_a_closure_of_weeks_the_notice_counts_from_the_reopening(clinic):
    # Closed from Thursday 1 to Sunday 25 July; bookable four weeks ahead, so
    # Monday 26 July is in the booking window. Two opening hours must pass
    # after the reopening at 08:00 before a request can be confirmed.
    _set_clinic(request_notice_hours=2, booking_horizon_days=28)
    ClinicClosure.objects.create(
        name="Refurbishment", starts_on=THURSDAY, ends_on=date(2027, 7, 25)
    )
    wednesday_evening = at(date(2027, 6, 30), 20)

    assert request_confirmable_from(now=wednesday_evening) == at(date(2027, 7, 26), 10)


def test_without_opening_hours_on_record_the_notice_counts_on_the_clock(clinic):
    _set_clinic(request_notice_hours=2)
    OpeningHours.objects.all().delete()
    forget_clinic()

    assert request_confirmable_from(now=at(THURSDAY, 20)) == at(THURSDAY, 22)
