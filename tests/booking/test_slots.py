import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.management import call_command

from booking.models import (
    AppointmentStatus,
    AvailabilityException,
    ClinicClosure,
    TimeSlot,
    WeeklyAvailability,
)
from booking.services import appointment_book, slot_set_blocked, slots_generate
from tests.booking.booking_world import LONDON, at, make_world, patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic):
    return make_world()


MONDAY = date(2027, 3, 1)
NOW = datetime(2027, 2, 27, 12, tzinfo=UTC)


def week(practitioner, weekday, *intervals):
    for start, end in intervals:
        WeeklyAvailability.objects.create(
            practitioner=practitioner, weekday=weekday, starts_at=time(start), ends_at=time(end)
        )


def local_slots(practitioner):
    return [
        (s.starts_at.astimezone(LONDON), s.ends_at.astimezone(LONDON))
        for s in TimeSlot.objects.filter(practitioner=practitioner).order_by("starts_at")
    ]


def test_weekly_hours_with_a_break_become_two_slots_per_day(world):
    week(world.maya, 0, (9, 13), (14, 17))

    created = slots_generate(start=MONDAY, days=7, now=NOW)

    assert created == 2
    assert local_slots(world.maya) == [
        (at(MONDAY, 9), at(MONDAY, 13)),
        (at(MONDAY, 14), at(MONDAY, 17)),
    ]


def test_generating_twice_changes_nothing(world):
    week(world.maya, 0, (9, 13), (14, 17))
    week(world.tom, 2, (8, 12))
    slots_generate(start=MONDAY, days=28, now=NOW)
    before = list(TimeSlot.objects.order_by("pk").values_list("pk", "starts_at", "ends_at"))

    assert slots_generate(start=MONDAY, days=28, now=NOW) == 0
    assert list(TimeSlot.objects.order_by("pk").values_list("pk", "starts_at", "ends_at")) == before


def test_clinic_closure_day_has_no_slots(world):
    week(world.maya, 0, (9, 13))
    ClinicClosure.objects.create(name="Holiday", starts_on=MONDAY, ends_on=MONDAY)

    slots_generate(start=MONDAY, days=8, now=NOW)

    assert local_slots(world.maya) == [
        (at(MONDAY + timedelta(7), 9), at(MONDAY + timedelta(7), 13))
    ]


def test_time_off_and_extra_hours_change_one_day(world):
    week(world.maya, 0, (9, 13))
    AvailabilityException.objects.create(
        practitioner=world.maya, date=MONDAY, kind="time_off", starts_at=time(10), ends_at=time(11)
    )
    AvailabilityException.objects.create(
        practitioner=world.maya, date=MONDAY, kind="extra", starts_at=time(17), ends_at=time(19)
    )

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == [
        (at(MONDAY, 9), at(MONDAY, 10)),
        (at(MONDAY, 11), at(MONDAY, 13)),
        (at(MONDAY, 17), at(MONDAY, 19)),
    ]


def test_whole_day_off_has_no_slots(world):
    week(world.maya, 0, (9, 13))
    AvailabilityException.objects.create(practitioner=world.maya, date=MONDAY, kind="time_off")

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == []


def test_schedule_change_never_removes_a_slot_holding_an_appointment(world):
    week(world.maya, 0, (9, 13))
    slots_generate(start=MONDAY, days=1, now=NOW)
    appointment = appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(MONDAY, 10),
        patient=patient(),
        now=NOW,
    )
    WeeklyAvailability.objects.filter(practitioner=world.maya).update(
        starts_at=time(14), ends_at=time(18)
    )

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == [
        (at(MONDAY, 9), at(MONDAY, 13)),
        (at(MONDAY, 14), at(MONDAY, 18)),
    ]
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.REQUESTED


def test_schedule_change_replaces_free_generated_slots(world):
    week(world.maya, 0, (9, 13))
    slots_generate(start=MONDAY, days=1, now=NOW)
    WeeklyAvailability.objects.filter(practitioner=world.maya).update(starts_at=time(10))

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == [(at(MONDAY, 10), at(MONDAY, 13))]


def test_blocked_and_manual_slots_are_kept_and_new_time_cut_around_them(world):
    week(world.maya, 0, (9, 13))
    slots_generate(start=MONDAY, days=1, now=NOW)
    slot_set_blocked(slot_id=TimeSlot.objects.get().pk, blocked=True)
    world.slot(world.maya, 14, 15, day=MONDAY + timedelta(days=1), source="manual")
    week(world.maya, 1, (13, 17))

    slots_generate(start=MONDAY, days=2, now=NOW)

    tuesday = MONDAY + timedelta(days=1)
    assert local_slots(world.maya) == [
        (at(MONDAY, 9), at(MONDAY, 13)),
        (at(tuesday, 13), at(tuesday, 14)),
        (at(tuesday, 14), at(tuesday, 15)),
        (at(tuesday, 15), at(tuesday, 17)),
    ]
    assert TimeSlot.objects.filter(is_blocked=True).count() == 1
    assert slots_generate(start=MONDAY, days=2, now=NOW) == 0


# Europe/London: clocks go forward at 01:00 on 28 March 2027, back at 02:00 on 31 October 2027.
SPRING = date(2027, 3, 28)
AUTUMN = date(2027, 10, 31)


@pytest.mark.parametrize("sunday", [SPRING, AUTUMN], ids=["spring-forward", "fall-back"])
def test_slots_on_a_daylight_saving_day_keep_their_wall_clock_times(world, sunday):
    week(world.maya, 6, (9, 13))

    slots_generate(start=sunday - timedelta(days=7), days=15, now=NOW)

    slots = local_slots(world.maya)
    assert [(s.date(), s.time(), e.time()) for s, e in slots] == [
        (sunday - timedelta(days=7), time(9), time(13)),
        (sunday, time(9), time(13)),
        (sunday + timedelta(days=7), time(9), time(13)),
    ]
    assert all(e - s == timedelta(hours=4) for s, e in slots)


def test_spring_forward_night_interval_loses_the_missing_hour(world):
    week(world.maya, 6, (0, 4))

    slots_generate(start=SPRING, days=1, now=NOW)

    slot = TimeSlot.objects.get()
    assert (slot.starts_at, slot.ends_at) == (
        datetime(2027, 3, 28, 0, tzinfo=UTC),  # 00:00 GMT
        datetime(2027, 3, 28, 3, tzinfo=UTC),  # 04:00 BST
    )


def test_fall_back_night_interval_holds_the_repeated_hour_once(world):
    week(world.maya, 6, (0, 4))

    slots_generate(start=AUTUMN, days=1, now=NOW)
    slots_generate(start=AUTUMN, days=1, now=NOW)

    slot = TimeSlot.objects.get()
    assert (slot.starts_at, slot.ends_at) == (
        datetime(2027, 10, 30, 23, tzinfo=UTC),  # 00:00 BST
        datetime(2027, 10, 31, 4, tzinfo=UTC),  # 04:00 GMT: five real hours
    )


def test_generate_slots_command_covers_the_booking_horizon(world, clinic):
    week(world.maya, 0, (9, 10))

    call_command("generate_slots", stdout=io.StringIO())

    assert TimeSlot.objects.count() in {8, 9}  # every Monday in 57 days


@pytest.mark.parametrize("sunday", [SPRING, AUTUMN], ids=["spring-forward", "fall-back"])
def test_offered_times_on_a_daylight_saving_day_follow_the_wall_clock(world, sunday):
    from booking.selectors import available_start_times

    week(world.maya, 6, (9, 11))
    slots_generate(start=sunday, days=1, now=NOW)

    times = available_start_times(
        treatment=world.follow_up,
        practitioner=world.maya,
        start=sunday,
        days=1,
        now=datetime(2027, 3, 1, tzinfo=UTC)
        if sunday == SPRING
        else datetime(2027, 10, 1, tzinfo=UTC),
    )[sunday]

    local = [t.starts_at.astimezone(LONDON).strftime("%H:%M") for t in times]
    assert local == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30"]


# Hours inside the missing or repeated hour: where a plain zoneinfo conversion
# (fold=0) and the clinic's rule part ways in spring, and where the rule must
# pick the first 01:30 in autumn. 30-minute follow-ups, offered every 15 minutes.


def offered_on(world, day, *, now):
    from booking.selectors import available_start_times

    times = available_start_times(
        treatment=world.follow_up, practitioner=world.maya, start=day, days=1, now=now
    )
    return [t.starts_at for t in times.get(day, [])]


def utc(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def sunday_hours(practitioner, start: time, end: time):
    WeeklyAvailability.objects.create(
        practitioner=practitioner, weekday=6, starts_at=start, ends_at=end
    )


def test_spring_hours_starting_in_the_missing_hour_start_when_the_clock_resumes(world):
    sunday_hours(world.maya, time(1, 30), time(3))  # 01:30 never happens that night

    slots_generate(start=SPRING, days=1, now=NOW)

    slot = TimeSlot.objects.get()
    assert (slot.starts_at, slot.ends_at) == (utc(SPRING, 1), utc(SPRING, 2))  # 02:00 to 03:00 BST
    assert offered_on(world, SPRING, now=NOW) == [
        utc(SPRING, 1),  # 02:00 BST
        utc(SPRING, 1, 15),
        utc(SPRING, 1, 30),  # 02:30 BST, the last that ends by 03:00
    ]


def test_spring_hours_ending_in_the_missing_hour_end_when_the_clock_resumes(world):
    sunday_hours(world.maya, time(0), time(1, 30))

    slots_generate(start=SPRING, days=1, now=NOW)

    slot = TimeSlot.objects.get()
    assert (slot.starts_at, slot.ends_at) == (
        utc(SPRING, 0),
        utc(SPRING, 1),
    )  # 00:00 GMT to 02:00 BST
    assert offered_on(world, SPRING, now=NOW) == [
        utc(SPRING, 0),
        utc(SPRING, 0, 15),
        utc(SPRING, 0, 30),
    ]


def test_spring_hours_split_inside_the_missing_hour_join_into_one_slot(world):
    # 00:00 to 01:30 and 01:45 to 03:00 on the wall clock: no real time lies between them.
    sunday_hours(world.maya, time(0), time(1, 30))
    sunday_hours(world.maya, time(1, 45), time(3))

    slots_generate(start=SPRING, days=1, now=NOW)

    slot = TimeSlot.objects.get()
    assert (slot.starts_at, slot.ends_at) == (utc(SPRING, 0), utc(SPRING, 2))
    assert offered_on(world, SPRING, now=NOW) == [
        utc(SPRING, 0) + timedelta(minutes=15 * n)
        for n in range(7)  # the last at 01:30 UTC
    ]


AUTUMN_NOW = datetime(2027, 10, 1, tzinfo=UTC)


def test_autumn_hours_starting_in_the_repeated_hour_start_at_its_first_occurrence(world):
    sunday_hours(world.maya, time(1, 30), time(3))

    slots_generate(start=AUTUMN, days=1, now=AUTUMN_NOW)
    slots_generate(start=AUTUMN, days=1, now=AUTUMN_NOW)

    slot = TimeSlot.objects.get()
    # 01:30 BST to 03:00 GMT: two and a half real hours.
    assert (slot.starts_at, slot.ends_at) == (utc(AUTUMN, 0, 30), utc(AUTUMN, 3))
    offered = offered_on(world, AUTUMN, now=AUTUMN_NOW)
    assert offered == [utc(AUTUMN, 0, 30) + timedelta(minutes=15 * n) for n in range(9)]
    assert len(set(offered)) == len(offered)  # each instant once
    assert [t.astimezone(LONDON).strftime("%H:%M %Z") for t in offered[:6]] == [
        "01:30 BST",
        "01:45 BST",
        "01:00 GMT",
        "01:15 GMT",
        "01:30 GMT",
        "01:45 GMT",
    ]


def test_autumn_hours_ending_in_the_repeated_hour_end_at_its_first_occurrence(world):
    sunday_hours(world.maya, time(0), time(1, 30))

    slots_generate(start=AUTUMN, days=1, now=AUTUMN_NOW)

    slot = TimeSlot.objects.get()
    # 00:00 BST (23:00 UTC the day before) to the first 01:30, 00:30 UTC.
    assert (slot.starts_at, slot.ends_at) == (
        utc(AUTUMN - timedelta(days=1), 23),
        utc(AUTUMN, 0, 30),
    )
    assert offered_on(world, AUTUMN, now=AUTUMN_NOW) == [
        utc(AUTUMN - timedelta(days=1), 23),
        utc(AUTUMN - timedelta(days=1), 23, 15),
        utc(AUTUMN - timedelta(days=1), 23, 30),
        utc(AUTUMN - timedelta(days=1), 23, 45),
        utc(AUTUMN, 0),
    ]


def test_changed_night_hours_replace_the_free_slot_from_the_first_hour_of_the_day(world):
    sunday_hours(world.maya, time(0), time(1, 30))
    slots_generate(start=SPRING, days=1, now=NOW)
    WeeklyAvailability.objects.filter(practitioner=world.maya).update(ends_at=time(0, 45))

    slots_generate(start=SPRING, days=1, now=NOW)

    slot = TimeSlot.objects.get()
    assert (slot.starts_at, slot.ends_at) == (utc(SPRING, 0), utc(SPRING, 0, 45))


def test_free_slot_right_after_a_booked_one_still_follows_schedule_changes(world):
    week(world.maya, 0, (9, 13))
    slots_generate(start=MONDAY, days=1, now=NOW)
    appointment_book(  # 45 minutes: ends exactly at 13:00, where the next slot will start
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(MONDAY, 12, 15),
        patient=patient(),
        now=NOW,
    )
    WeeklyAvailability.objects.filter(practitioner=world.maya).update(ends_at=time(17))
    slots_generate(start=MONDAY, days=1, now=NOW)
    WeeklyAvailability.objects.filter(practitioner=world.maya).update(ends_at=time(16))

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == [
        (at(MONDAY, 9), at(MONDAY, 13)),
        (at(MONDAY, 13), at(MONDAY, 16)),
    ]


def test_two_breaks_in_one_day_leave_three_slots(world):
    week(world.maya, 0, (9, 17))
    for start, end in [(10, 11), (14, 15)]:
        AvailabilityException.objects.create(
            practitioner=world.maya,
            date=MONDAY,
            kind="time_off",
            starts_at=time(start),
            ends_at=time(end),
        )

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == [
        (at(MONDAY, 9), at(MONDAY, 10)),
        (at(MONDAY, 11), at(MONDAY, 14)),
        (at(MONDAY, 15), at(MONDAY, 17)),
    ]


def test_a_closure_of_several_days_closes_every_one_of_them(world):
    for weekday in range(5):
        week(world.maya, weekday, (9, 13))
    ClinicClosure.objects.create(
        name="Training", starts_on=MONDAY, ends_on=MONDAY + timedelta(days=3)
    )

    slots_generate(start=MONDAY, days=5, now=NOW)

    friday = MONDAY + timedelta(days=4)
    assert local_slots(world.maya) == [(at(friday, 9), at(friday, 13))]


def test_generating_one_day_leaves_the_next_days_night_slots_alone(world):
    # Sunday 28 March's hours start at midnight; generating Saturday only must keep them.
    sunday_hours(world.maya, time(0), time(0, 45))
    slots_generate(start=SPRING, days=1, now=NOW)

    slots_generate(start=SPRING - timedelta(days=1), days=1, now=NOW)

    slot = TimeSlot.objects.get()
    assert (slot.starts_at, slot.ends_at) == (utc(SPRING, 0), utc(SPRING, 0, 45))


def test_touching_hours_join_into_one_slot(world):
    week(world.maya, 0, (9, 10), (11, 12), (12, 13))

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == [
        (at(MONDAY, 9), at(MONDAY, 10)),
        (at(MONDAY, 11), at(MONDAY, 13)),
    ]


def test_extra_hours_listed_before_time_off_do_not_hide_it(world):
    week(world.maya, 0, (9, 13))
    AvailabilityException.objects.create(
        practitioner=world.maya, date=MONDAY, kind="extra", starts_at=time(7), ends_at=time(9)
    )
    AvailabilityException.objects.create(
        practitioner=world.maya, date=MONDAY, kind="time_off", starts_at=time(10), ends_at=time(11)
    )

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == [
        (at(MONDAY, 7), at(MONDAY, 10)),
        (at(MONDAY, 11), at(MONDAY, 13)),
    ]


def test_blocked_slot_stays_when_the_hours_change(world):
    week(world.maya, 0, (9, 13))
    slots_generate(start=MONDAY, days=1, now=NOW)
    slot_set_blocked(slot_id=TimeSlot.objects.get().pk, blocked=True)
    WeeklyAvailability.objects.filter(practitioner=world.maya).update(
        starts_at=time(14), ends_at=time(17)
    )

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert TimeSlot.objects.get(is_blocked=True).starts_at == at(MONDAY, 9)


def test_slots_that_already_began_are_kept_when_the_hours_change(world):
    week(world.maya, 0, (9, 13))
    slots_generate(start=MONDAY, days=1, now=NOW)
    WeeklyAvailability.objects.filter(practitioner=world.maya).update(starts_at=time(10))

    slots_generate(start=MONDAY, days=1, now=at(MONDAY, 9, 30))

    assert local_slots(world.maya) == [(at(MONDAY, 9), at(MONDAY, 13))]


def test_generating_one_day_leaves_the_next_days_slots_alone(world):
    week(world.maya, 0, (9, 13))
    week(world.maya, 1, (9, 13))
    slots_generate(start=MONDAY, days=2, now=NOW)

    slots_generate(start=MONDAY, days=1, now=NOW)

    tuesday = MONDAY + timedelta(days=1)
    assert local_slots(world.maya) == [
        (at(MONDAY, 9), at(MONDAY, 13)),
        (at(tuesday, 9), at(tuesday, 13)),
    ]


def test_a_quarter_of_an_hour_is_long_enough_for_a_slot(world):
    WeeklyAvailability.objects.create(
        practitioner=world.maya, weekday=0, starts_at=time(9), ends_at=time(9, 15)
    )

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == [(at(MONDAY, 9), at(MONDAY, 9, 15))]


def test_less_than_a_quarter_of_an_hour_makes_no_slot(world):
    WeeklyAvailability.objects.create(
        practitioner=world.maya, weekday=0, starts_at=time(9), ends_at=time(9, 10)
    )

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == []


def test_hours_inside_other_hours_change_nothing(world):
    week(world.maya, 0, (9, 10), (11, 14), (12, 13))

    slots_generate(start=MONDAY, days=1, now=NOW)

    assert local_slots(world.maya) == [
        (at(MONDAY, 9), at(MONDAY, 10)),
        (at(MONDAY, 11), at(MONDAY, 14)),
    ]
