"""The details step re-checks the chosen time on its one day, and agrees with the picker."""

from datetime import time, timedelta

import pytest

from booking import flow, views
from booking.availability import clinic_zone, local_instant
from booking.models import TimeSlot
from booking.picker import time_picker_week
from booking.services import appointment_book
from tests.booking.booking_world import at, make_world, patient

pytestmark = pytest.mark.django_db


def _offered_by_the_picker(treatment, practitioner, day, now) -> set:
    """What the details step searched before: the whole picker week of the chosen day."""
    week = time_picker_week(treatment=treatment, practitioner=practitioner, week=day, now=now)
    return {
        offered.starts_at
        for picker_day in week.days
        for period in picker_day.periods
        for offered in period.times
    }


@pytest.mark.parametrize("practitioner", ["tom", None])
@pytest.mark.parametrize("treatment", ["dry_needling", "follow_up"])  # a request; booked at once
def test_the_one_day_check_says_what_the_picker_offers_at_every_moment(
    clinic, settings, practitioner, treatment
):
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    clinic.min_notice_hours = 3
    clinic.request_notice_hours = 4
    clinic.save()
    world = make_world()
    day_before = world.day - timedelta(days=1)
    world.slot(world.maya, 8, 13, day=day_before)
    world.slot(world.maya, 9, 13)
    TimeSlot.objects.create(  # across midnight
        practitioner=world.tom, starts_at=at(day_before, 22), ends_at=at(world.day, 2)
    )
    # Late enough that some of it is past the request notice, whatever the weekday.
    world.slot(world.tom, 10, 20)
    appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(),
        now=local_instant(day_before, time(0), clinic_zone()),
    )
    chosen_treatment = getattr(world, treatment)
    chosen_practitioner = getattr(world, practitioner) if practitioner else None
    candidates = [
        local_instant(day, time(hour, minute), clinic_zone())
        for day in (day_before, world.day)
        for hour in range(24)  # every slot, and around
        for minute in (0, 15, 30, 45)
    ]
    agreed = offered = 0
    for now_hour in (0, 7, 21):
        now = local_instant(day_before, time(now_hour, 10), clinic_zone())
        by_picker = {
            day: _offered_by_the_picker(chosen_treatment, chosen_practitioner, day, now)
            for day in (day_before, world.day)
        }
        for starts_at in candidates:
            choice = flow.Choice(
                treatment=chosen_treatment, practitioner=chosen_practitioner, starts_at=starts_at
            )
            expected = starts_at in by_picker[starts_at.astimezone(clinic_zone()).date()]
            assert views._time_still_offered(choice, now) == expected, (now, starts_at)
            agreed += 1
            offered += expected
    assert agreed == 3 * len(candidates)
    assert offered  # some times were offered, and some were not
    assert offered < agreed
