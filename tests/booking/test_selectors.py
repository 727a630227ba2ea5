"""Reads of the booking flow, called directly: the window, the nearest free times."""

from datetime import timedelta

import pytest

from booking.models import Treatment
from booking.selectors import (
    available_start_times,
    nearest_start_times,
    practitioners_offering,
)
from booking.services import appointment_book
from tests.booking.booking_world import at, make_world, patient
from tests.booking.conftest import make_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic):
    return make_world()


def local_times(times, day):
    return [t.starts_at for t in times.get(day, [])]


def offered(world, *, treatment=None, practitioner=None, days=1, now=None):
    """Follow-up times with Maya from world.day, by day, seen from midnight that day."""
    return available_start_times(
        treatment=treatment or world.follow_up,
        practitioner=practitioner or world.maya,
        start=world.day,
        days=days,
        now=now or at(world.day, 0),
    )


def test_times_end_at_the_end_of_the_slot_and_never_run_past_it(world):
    world.slot(world.maya, 9, 10)

    times = offered(world)

    # 30 minutes from 09:30 ends exactly at 10:00; 09:45 would run past it.
    assert local_times(times, world.day) == [
        at(world.day, 9),
        at(world.day, 9, 15),
        at(world.day, 9, 30),
    ]
    assert [t.ends_at for t in times[world.day]] == [
        at(world.day, 9, 30),
        at(world.day, 9, 45),
        at(world.day, 10),
    ]


def test_a_slot_starting_off_the_grid_offers_times_from_the_next_quarter_hour(world):
    from booking.models import TimeSlot

    TimeSlot.objects.create(
        practitioner=world.maya, starts_at=at(world.day, 9, 5), ends_at=at(world.day, 10)
    )

    times = offered(world)

    assert local_times(times, world.day) == [at(world.day, 9, 15), at(world.day, 9, 30)]


def test_a_time_is_offered_again_right_after_the_buffer_of_the_booking_before(world):
    world.slot(world.maya, 9, 12)
    appointment_book(
        treatment=world.follow_up,  # 30 minutes + 5 buffer: held 09:00-09:35
        practitioner=world.maya,
        starts_at=at(world.day, 9),
        patient=patient(),
        now=at(world.day, 0) - timedelta(days=1),
    )

    times = offered(world)

    assert local_times(times, world.day)[:2] == [at(world.day, 9, 45), at(world.day, 10)]


def test_the_days_window_ends_at_midnight_of_the_last_day(world):
    world.slot(world.maya, 9, 10)
    next_day = world.day + timedelta(days=1)
    world.slot(world.maya, 9, 10, day=next_day)

    one_day = offered(world)
    two_days = offered(world, days=2)

    assert list(one_day) == [world.day]
    assert list(two_days) == [world.day, next_day]


def test_an_inactive_treatment_offers_no_times(world):
    world.slot(world.maya, 9, 10)
    Treatment.objects.filter(pk=world.follow_up.pk).update(is_active=False)
    world.follow_up.refresh_from_db()

    assert (
        available_start_times(
            treatment=world.follow_up, start=world.day, days=1, now=at(world.day, 0)
        )
        == {}
    )


def test_a_practitioner_who_does_not_offer_the_treatment_has_no_times(world):
    world.slot(world.tom, 9, 10)

    # Tom does not offer massage.
    assert offered(world, treatment=world.massage, practitioner=world.tom) == {}
    assert practitioners_offering(treatment=world.massage) == [world.maya]


def test_nearest_times_are_the_closest_free_ones_in_time_order(world):
    world.slot(world.maya, 9, 12)
    taken = at(world.day, 10)

    nearest = nearest_start_times(
        treatment=world.follow_up,
        practitioner=world.maya,
        around=taken,
        now=at(world.day, 0) - timedelta(days=1),
        limit=4,
    )

    assert [t.starts_at for t in nearest] == [
        at(world.day, 9, 30),
        at(world.day, 9, 45),
        at(world.day, 10),
        at(world.day, 10, 15),
    ]


def test_nearest_times_look_at_the_days_around_the_taken_one(world):
    earlier, later = world.day - timedelta(days=2), world.day + timedelta(days=2)
    world.slot(world.maya, 9, 10, day=earlier)
    world.slot(world.maya, 9, 10, day=later)

    nearest = nearest_start_times(
        treatment=world.dry_needling,
        practitioner=world.maya,
        around=at(world.day, 9),
        # A week before: dry needling is a request, and the day before `earlier`
        # may be a Sunday, when the clinic's opening hours give staff no time to
        # confirm one before Monday 09:00.
        now=at(earlier, 0) - timedelta(days=7),
        limit=6,
    )

    assert [t.starts_at for t in nearest] == [
        at(earlier, 9),
        at(earlier, 9, 15),
        at(later, 9),
        at(later, 9, 15),
    ]


def test_a_time_is_free_the_moment_the_booking_before_it_is_over(world):
    world.slot(world.maya, 9, 12)
    make_appointment(
        starts_at=at(world.day, 9),
        treatment=world.dry_needling,
        practitioner=world.maya,
        occupied_until=at(world.day, 10),  # held exactly until 10:00, on the grid
    )

    times = offered(world)

    assert local_times(times, world.day)[0] == at(world.day, 10)


def test_times_after_midnight_belong_to_the_next_days_window(world):
    next_day = world.day + timedelta(days=1)
    world.slot(world.maya, 0, 1, day=next_day)

    one_day = offered(world, now=at(world.day, 0) - timedelta(days=1))

    assert one_day == {}


def test_a_slot_running_past_midnight_offers_only_this_days_starts(world):
    from booking.models import TimeSlot

    TimeSlot.objects.create(
        practitioner=world.maya,
        starts_at=at(world.day, 23, 30),
        ends_at=at(world.day + timedelta(days=1), 0, 45),
    )

    times = offered(world, now=at(world.day, 0) - timedelta(days=1))

    assert list(times) == [world.day]
    assert local_times(times, world.day) == [at(world.day, 23, 30), at(world.day, 23, 45)]


def test_a_booking_just_before_midnight_keeps_the_time_before_it_from_being_offered(world):
    from booking.models import TimeSlot

    TimeSlot.objects.create(
        practitioner=world.maya,
        starts_at=at(world.day, 23),
        ends_at=at(world.day + timedelta(days=1), 0),
    )
    make_appointment(
        starts_at=at(world.day, 23, 45), treatment=world.follow_up, practitioner=world.maya
    )

    times = offered(world)

    # 23:15 (+30 minutes +5 buffer) would run into the booking at 23:45.
    assert local_times(times, world.day) == [at(world.day, 23)]


def test_nearest_times_list_six_by_default(world):
    world.slot(world.maya, 9, 13)

    nearest = nearest_start_times(
        treatment=world.follow_up,
        practitioner=world.maya,
        around=at(world.day, 11),
        now=at(world.day, 0) - timedelta(days=1),
    )

    assert len(nearest) == 6
