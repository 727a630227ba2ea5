"""Rules of the time picker's week (booking/picker.py) that mutation testing found untested.

Each test here failed with a mutant of `make mutate` applied (docs/testing.md,
"Mutation testing") and states the rule that mutant broke.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from booking.models import TimeSlot
from booking.picker import time_picker_week
from booking.services import appointment_book
from clinic.identity import forget_clinic
from clinic.models import ClinicProfile
from tests.booking.booking_world import at, make_world, patient

pytestmark = pytest.mark.django_db

TODAY = date(2027, 6, 1)  # a Tuesday; every test below looks at the weeks after it
NOW = at(TODAY, 8)


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_TIMES_CACHE_SECONDS = 0
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    _set_clinic(booking_horizon_days=56)  # eight weeks, as the demo clinic
    return make_world()


def _set_clinic(**fields):
    ClinicProfile.objects.update(**fields)
    forget_clinic()


def _week(world, **kwargs):
    return time_picker_week(treatment=world.follow_up, practitioner=world.maya, now=NOW, **kwargs)


def _day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def _label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def _slot(world, starts_at, ends_at):
    return TimeSlot.objects.create(practitioner=world.maya, starts_at=starts_at, ends_at=ends_at)


def _book_follow_up(world, starts_at):
    appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=starts_at,
        patient=patient(),
        now=NOW,
    )


# --- the strip's words for a screen reader ---------------------------------------------


def test_the_strip_tells_a_screen_reader_how_many_times_each_day_has(client, world):
    one, two = world.day + timedelta(days=1), world.day + timedelta(days=2)
    _slot(world, at(world.day, 9), at(world.day, 10))  # 09:00, 09:15, 09:30
    _slot(world, at(one, 9), at(one, 9, 45))  # 09:00, 09:15
    _slot(world, at(two, 9), at(two, 9, 30))  # 09:00

    content = client.get(
        reverse("booking:time"),
        {"treatment": world.follow_up.slug, "practitioner": "maya-okafor", "day": world.day},
    ).content.decode()

    assert f"{_label(world.day)}: 3 free times</span>" in content
    assert f"{_label(one)}: 2 free times</span>" in content
    assert f"{_label(two)}: 1 free time</span>" in content


def test_the_strip_says_phone_us_for_a_request_too_soon_and_no_times_for_an_empty_day(
    client, world
):
    _set_clinic(request_notice_hours=500)  # nothing in the demo's hours is far enough
    world.slot(world.maya, 9, 13)
    empty = world.day + timedelta(days=1)

    content = client.get(
        reverse("booking:time"),
        {"treatment": "dry-needling", "practitioner": "maya-okafor", "day": world.day},
    ).content.decode()

    assert f"{_label(world.day)}: too soon to book online: phone us</span>" in content
    assert f"{_label(empty)}: no times</span>" in content


# --- the day chosen ----------------------------------------------------------------------


def test_a_day_chosen_inside_a_week_keeps_that_week_and_marks_only_that_day(world):
    monday, wednesday = _day(13), _day(15)
    world.slot(world.maya, 9, 10, day=monday)
    world.slot(world.maya, 9, 10, day=wednesday)

    # The strip's links carry the week and the day: the strip must not move.
    week = _week(world, week=monday, day=wednesday)

    assert week.first_day == monday
    assert [strip_day.day for strip_day in week.strip if strip_day.selected] == [wednesday]


def test_a_chosen_day_with_times_shows_its_own_times_and_no_nearest_days(world):
    monday, wednesday = _day(13), _day(15)
    world.slot(world.maya, 9, 10, day=monday)
    world.slot(world.maya, 14, 15, day=wednesday)

    week = _week(world, week=monday, day=wednesday)

    assert week.selected_day.day == wednesday
    assert week.selected_day.periods[0].times[0].starts_at == at(wednesday, 14)
    assert week.nearest == []


def test_a_full_day_chosen_offers_the_two_nearest_days_with_times(world):
    monday, tuesday = _day(13), _day(14)
    for day in (monday, _day(15), _day(16)):
        world.slot(world.maya, 9, 10, day=day)
    _slot(world, at(tuesday, 9), at(tuesday, 9, 30))  # room for one follow-up, booked
    _book_follow_up(world, at(tuesday, 9))

    week = _week(world, week=monday, day=tuesday)

    assert week.selected.state == "full"
    assert [near.day for near in week.nearest] == [monday, _day(15)]


# --- the days the practitioner works -----------------------------------------------------


def test_hours_just_after_midnight_make_the_weeks_first_day_a_working_day(world):
    first = _day(13)
    _slot(world, at(first, 0), at(first, 0, 30))  # room for one follow-up, booked
    _book_follow_up(world, at(first, 0))

    week = _week(world, week=first)

    assert week.strip[0].state == "full"


def test_hours_ending_at_midnight_do_not_make_the_next_day_a_working_day(world):
    first = _day(13)
    _slot(world, at(first, 18), at(first + timedelta(days=1), 0))

    week = _week(world, week=first)

    assert [strip_day.state for strip_day in week.strip[:2]] == ["times", "none"]


def test_hours_running_past_midnight_make_the_next_day_a_working_day_too(world):
    first = _day(13)
    # Until 00:15: no follow-up fits after midnight, but Maya works then.
    _slot(world, at(first, 21), at(first + timedelta(days=1), 0, 15))

    week = _week(world, week=first)

    assert [strip_day.state for strip_day in week.strip[:3]] == ["times", "full", "none"]


# --- the end of the booking horizon ------------------------------------------------------


def test_the_last_week_stops_at_the_last_bookable_day_and_offers_its_times(world):
    _set_clinic(booking_horizon_days=20)
    last = _day(20)
    world.slot(world.maya, 9, 10, day=last)

    week = _week(world, week=last - timedelta(days=2))

    assert week.last_day == last
    assert [strip_day.day for strip_day in week.strip] == [_day(18), _day(19), last]
    assert week.last_shown == last
    assert (week.strip[-1].state, week.strip[-1].count) == ("times", 3)


# --- Earlier and Later -------------------------------------------------------------------


def test_later_leads_to_the_very_next_day_with_times(world):
    for offset in (13, 20, 27):  # three Mondays
        world.slot(world.maya, 9, 10, day=_day(offset))

    week = _week(world, week=_day(13))

    assert week.later == _day(20)  # the day right after the week


def test_earlier_leads_to_the_week_ending_on_the_last_day_with_times_before(world):
    for offset in (10, 12, 20):
        world.slot(world.maya, 9, 10, day=_day(offset))

    week = _week(world, week=_day(20))
    earlier = _week(world, week=week.earlier)

    assert week.earlier == _day(6)
    assert earlier.last_shown == _day(12)
    assert earlier.strip[-1].state == "times"
