"""Reads of booking/selectors.py that mutation testing found untested.

Each test here failed with a mutant of `make mutate` applied (docs/testing.md,
"Mutation testing") and states the rule that mutant broke.
"""

from datetime import date, timedelta

import pytest

from booking.models import Notification, TimeSlot
from booking.notifications import queue_notification
from booking.picker import time_picker_week
from booking.selectors import (
    available_start_times,
    email_queue_report,
    nearest_start_times,
    next_free_starts,
    team_next_free,
)
from clinic.identity import forget_clinic
from clinic.models import ClinicProfile
from tests.booking.booking_world import at, make_world
from tests.booking.conftest import make_appointment

pytestmark = pytest.mark.django_db

# The demo clinic opens 08:00-13:00 and 14:00-19:00 on weekdays.
THURSDAY = date(2027, 7, 1)


@pytest.fixture
def world(clinic):
    return make_world()


def _set_clinic(**fields):
    ClinicProfile.objects.update(**fields)
    forget_clinic()


def _days(times) -> list[date]:
    return sorted({t.starts_at.date() for t in times})


# --- times just after midnight --------------------------------------------------------


def test_a_slot_from_midnight_offers_its_first_times(world):
    TimeSlot.objects.create(
        practitioner=world.maya, starts_at=at(THURSDAY, 0), ends_at=at(THURSDAY, 0, 45)
    )

    times = available_start_times(
        treatment=world.follow_up,
        practitioner=world.maya,
        start=THURSDAY,
        days=1,
        now=at(THURSDAY, 0) - timedelta(days=2),
    )

    assert [t.starts_at for t in times[THURSDAY]] == [at(THURSDAY, 0), at(THURSDAY, 0, 15)]


def test_a_time_just_after_midnight_is_listed_in_the_morning(world):
    TimeSlot.objects.create(
        practitioner=world.maya, starts_at=at(THURSDAY, 0, 30), ends_at=at(THURSDAY, 1)
    )

    week = time_picker_week(
        treatment=world.follow_up,
        practitioner=world.maya,
        week=THURSDAY,
        now=at(THURSDAY, 0) - timedelta(days=2),
    )

    [day] = week.days
    assert [(p.name, [t.starts_at for t in p.times]) for p in day.periods] == [
        ("Morning", [at(THURSDAY, 0, 30)])
    ]


# --- next free times --------------------------------------------------------------------


def test_a_practitioners_next_free_time_may_be_on_the_last_bookable_day(world):
    _set_clinic(booking_horizon_days=10)
    last = THURSDAY + timedelta(days=10)
    world.slot(world.maya, 9, 10, day=last)

    first = next_free_starts(
        treatment=world.follow_up, practitioners=[world.maya], now=at(THURSDAY, 8)
    )

    assert first == {world.maya.pk: at(last, 9)}


def test_the_team_page_gives_the_next_free_time_of_the_shortest_treatment(world):
    # Half an hour: a follow-up fits, a massage (an hour) does not.
    TimeSlot.objects.create(
        practitioner=world.maya, starts_at=at(THURSDAY, 9), ends_at=at(THURSDAY, 9, 30)
    )

    next_free = team_next_free(practitioners=[world.maya, world.tom], now=at(THURSDAY, 7))

    assert next_free == {world.maya.pk: at(THURSDAY, 9)}


# --- the nearest times after a clash ------------------------------------------------------


def test_the_nearest_times_start_with_the_first_request_staff_can_still_confirm(world):
    # From 08:00 on Thursday, three opening hours run out at 11:00 sharp.
    _set_clinic(request_notice_hours=3)
    world.slot(world.maya, 9, 13, day=THURSDAY)

    nearest = nearest_start_times(
        treatment=world.dry_needling,
        practitioner=world.maya,
        around=at(THURSDAY, 10),
        now=at(THURSDAY, 8),
        limit=2,
    )

    assert [t.starts_at for t in nearest] == [at(THURSDAY, 11), at(THURSDAY, 11, 15)]


def test_the_nearest_times_come_from_three_days_before_to_ten_days_after(world):
    taken_day = THURSDAY + timedelta(days=7)
    for offset in (-4, -3, 10, 11):
        world.slot(world.maya, 9, 10, day=taken_day + timedelta(days=offset))

    nearest = nearest_start_times(
        treatment=world.follow_up,
        practitioner=world.maya,
        around=at(taken_day, 9),
        now=at(THURSDAY, 8),
        limit=12,
    )

    assert _days(nearest) == [taken_day - timedelta(days=3), taken_day + timedelta(days=10)]


# --- /healthz: the oldest e-mail waiting ------------------------------------------------


def _queued_at(created_at) -> None:
    appointment = make_appointment(starts_at=created_at + timedelta(days=2))
    notification = queue_notification(appointment=appointment, kind="request_received")
    Notification.objects.filter(pk=notification.pk).update(created_at=created_at)


def test_with_no_email_waiting_the_report_says_none(db):
    now = at(THURSDAY, 12)

    assert email_queue_report(now) == {"oldest_queued_email_seconds": None}

    _queued_at(now - timedelta(seconds=90))
    assert email_queue_report(now) == {"oldest_queued_email_seconds": 90}


@pytest.mark.parametrize("ahead", [0, 1])
def test_an_email_queued_just_now_has_waited_no_time(db, ahead):
    # Queued this instant, or by a server whose clock runs a second ahead.
    now = at(THURSDAY, 12)
    _queued_at(now + timedelta(seconds=ahead))

    assert email_queue_report(now) == {"oldest_queued_email_seconds": 0}
