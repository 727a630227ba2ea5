"""A time picker that fits a phone: grouped, stepped, marked, and honest about requests."""

import re
from datetime import date, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import flow
from booking.errors import BookingError
from booking.models import TimeSlot
from booking.picker import time_picker_week
from booking.selectors import nearest_start_times, next_free_starts
from booking.services import appointment_book, request_confirmable_from
from clinic.identity import forget_clinic
from clinic.models import ClinicProfile
from images.services import image_create
from tests.booking.booking_world import at, make_world, patient
from tests.images.conftest import make_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_TIMES_CACHE_SECONDS = 0
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    return make_world()


def starts(week) -> list:
    return [t.starts_at for d in week.days for p in d.periods for t in p.times]


def test_each_day_is_grouped_into_morning_afternoon_and_evening(world):
    world.slot(world.maya, 9, 19)
    now = at(world.day, 7) - timedelta(days=2)

    week = time_picker_week(
        treatment=world.follow_up, practitioner=world.maya, week=world.day, now=now
    )

    [day] = week.days
    names = [period.name for period in day.periods]
    assert names == ["Morning", "Afternoon", "Evening"]
    morning, afternoon, evening = day.periods
    assert morning.times[0].starts_at == at(world.day, 9)
    assert morning.times[-1].starts_at == at(world.day, 11, 45)
    assert afternoon.times[0].starts_at == at(world.day, 12)
    assert evening.times[0].starts_at == at(world.day, 17)


def test_start_times_follow_the_treatments_own_step(world):
    world.slot(world.maya, 9, 12)
    world.follow_up.start_step_minutes = 30
    world.follow_up.save()
    now = at(world.day, 7) - timedelta(days=2)

    week = time_picker_week(
        treatment=world.follow_up, practitioner=world.maya, week=world.day, now=now
    )

    assert starts(week) == [at(world.day, h, m) for h in (9, 10, 11) for m in (0, 30)]


def test_a_time_off_the_treatments_step_is_refused_by_the_service(world):
    world.slot(world.maya, 9, 12)
    world.follow_up.start_step_minutes = 30
    world.follow_up.save()

    with pytest.raises(BookingError, match="not one of the times we offer"):
        appointment_book(
            treatment=world.follow_up,
            practitioner=world.maya,
            starts_at=at(world.day, 9, 15),
            patient=patient(),
            now=at(world.day, 7) - timedelta(days=2),
        )


def test_after_an_appointment_the_next_start_is_back_on_the_step(world):
    world.slot(world.maya, 9, 12)
    world.follow_up.start_step_minutes = 30
    world.follow_up.save()
    now = at(world.day, 7) - timedelta(days=2)
    appointment_book(  # 09:00-09:30, held to 09:35 by the buffer
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 9),
        patient=patient(),
        now=now,
    )

    week = time_picker_week(
        treatment=world.follow_up, practitioner=world.maya, week=world.day, now=now
    )

    assert starts(week)[0] == at(world.day, 10)


def test_earlier_is_hidden_on_the_first_week_with_times(world):
    world.slot(world.maya, 9, 12)
    now = at(world.day, 7) - timedelta(days=2)

    week = time_picker_week(treatment=world.follow_up, practitioner=world.maya, week=None, now=now)

    assert week.first_day == world.day
    assert week.earlier is None


def test_earlier_and_later_lead_straight_to_the_next_week_with_times(world):
    world.slot(world.maya, 9, 12)
    far = world.day + timedelta(days=20)
    world.slot(world.maya, 9, 12, day=far)
    now = at(world.day, 7) - timedelta(days=2)

    first = time_picker_week(treatment=world.follow_up, practitioner=world.maya, week=None, now=now)
    second = time_picker_week(
        treatment=world.follow_up, practitioner=world.maya, week=first.later, now=now
    )

    assert first.later == far
    assert second.days[0].day == far
    assert second.earlier is not None
    assert second.earlier <= world.day < second.earlier + timedelta(days=7)


def test_later_is_hidden_when_nothing_comes_after_the_week(world):
    world.slot(world.maya, 9, 12)
    now = at(world.day, 7) - timedelta(days=2)

    week = time_picker_week(treatment=world.follow_up, practitioner=world.maya, week=None, now=now)

    assert week.later is None


def test_times_inside_the_late_cancellation_window_are_marked(world, clinic):
    world.slot(world.maya, 9, 13)
    now = at(world.day, 10) - timedelta(hours=clinic.late_cancellation_hours)

    week = time_picker_week(
        treatment=world.follow_up, practitioner=world.maya, week=world.day, now=now
    )

    marked = {t.starts_at: t.late for d in week.days for p in d.periods for t in p.times}
    assert marked[at(world.day, 9, 45)] is True
    assert marked[at(world.day, 10)] is False
    assert week.any_late


def test_the_picker_page_marks_late_times_with_words_for_screen_readers(client, world, clinic):
    soon = (timezone.now() + timedelta(hours=4)).replace(second=0, microsecond=0)
    soon += timedelta(minutes=-soon.minute % 15)
    TimeSlot.objects.create(
        practitioner=world.maya, starts_at=soon, ends_at=soon + timedelta(hours=2)
    )

    content = client.get(
        reverse("booking:time"), {"treatment": world.follow_up.slug, "practitioner": "maya-okafor"}
    ).content.decode()

    assert "Within 24 hours: cannot be changed online." in content
    assert content.count("booking-time--late") == content.count('<a class="booking-time')
    assert content.count(", cannot be changed online</span>") >= 1


def test_first_available_buttons_carry_no_practitioner_names(client, world):
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 14, 16)

    content = client.get(
        reverse("booking:time"), {"treatment": world.follow_up.slug, "practitioner": "any"}
    ).content.decode()

    buttons = re.findall(r'<a class="booking-time[^"]*"[^>]*>(.*?)</a>', content, re.S)
    visible = [
        re.sub(r'<span class="visually-hidden">.*?</span>', "", b, flags=re.S) for b in buttons
    ]
    assert buttons
    assert not [b for b in visible if "Maya" in b or "Tom" in b]
    assert "with=tom-lindqvist" in content


def test_the_picker_is_kept_out_of_search_results_but_describes_itself(client, world, clinic):
    content = client.get(
        reverse("booking:time"), {"treatment": world.follow_up.slug, "practitioner": "maya-okafor"}
    ).content.decode()

    assert '<meta name="robots" content="noindex">' in content
    description = re.search(r'<meta name="description" content="([^"]*)">', content).group(1)
    assert world.maya.name in description
    assert world.follow_up.name.lower() in description and clinic.name in description


def test_the_picker_offers_a_jump_to_a_date(client, world):
    world.slot(world.maya, 9, 12)
    far = world.day + timedelta(days=15)
    world.slot(world.maya, 14, 16, day=far)

    # The jump form sends the day alone; its week starts on that day and shows its times.
    response = client.get(
        reverse("booking:time"),
        {"treatment": world.follow_up.slug, "practitioner": "maya-okafor", "day": far.isoformat()},
    )

    content = response.content.decode()
    assert 'type="date"' in content and 'name="day"' in content
    assert flow.start_format(at(far, 14)) in content
    assert flow.start_format(at(world.day, 9)) not in content


@pytest.mark.parametrize("name", ["week", "day", "partial"])
@pytest.mark.parametrize("week", ["\x00", "2026-02-30", "9999-12-31", "x" * 5000, "0001-01-01"])
def test_a_nonsense_date_to_jump_to_gets_a_page(client, world, week, name):
    world.slot(world.maya, 9, 12)

    response = client.get(
        reverse("booking:time"),
        {"treatment": world.follow_up.slug, "practitioner": "maya-okafor", name: week},
    )

    assert response.status_code == 200


# --- requests staff could not confirm in time --------------------------------------------


def _set_clinic(**fields):
    ClinicProfile.objects.update(**fields)
    forget_clinic()


def test_confirmable_from_counts_only_opening_hours(clinic):
    # The demo clinic opens 08:00-13:00 and 14:00-19:00 on weekdays, 09:00-13:00 Saturdays.
    _set_clinic(request_notice_hours=2)
    friday_evening = at(date(2027, 7, 2), 18, 30)

    earliest = request_confirmable_from(now=friday_evening)

    # 30 minutes on Friday, then 90 on Saturday morning.
    assert earliest == at(date(2027, 7, 3), 10, 30)


def test_confirmable_from_skips_a_closed_lunch_break(clinic):
    _set_clinic(request_notice_hours=1)

    assert request_confirmable_from(now=at(date(2027, 7, 1), 12, 30)) == at(
        date(2027, 7, 1), 14, 30
    )


def test_requests_too_soon_to_confirm_say_phone_us_by_default(world, clinic):
    _set_clinic(request_notice_hours=2)
    world.slot(world.maya, 9, 13)
    now = at(world.day, 9) - timedelta(hours=12)  # the evening before: clinic closed

    week = time_picker_week(
        treatment=world.dry_needling, practitioner=world.maya, week=world.day, now=now
    )

    [day] = week.days
    assert day.phone_only
    assert min(starts(week)) == at(world.day, 10)


def test_requests_too_soon_to_confirm_are_hidden_when_the_clinic_says_so(world, clinic):
    _set_clinic(request_notice_hours=2, short_notice_requests="hide")
    world.slot(world.maya, 9, 13)
    now = at(world.day, 9) - timedelta(hours=12)

    week = time_picker_week(
        treatment=world.dry_needling, practitioner=world.maya, week=world.day, now=now
    )

    assert not week.days[0].phone_only
    assert min(starts(week)) == at(world.day, 10)


def test_treatments_booked_at_once_are_not_held_back(world, clinic):
    _set_clinic(request_notice_hours=2)
    world.slot(world.maya, 9, 13)
    now = at(world.day, 9) - timedelta(hours=12)

    week = time_picker_week(
        treatment=world.follow_up, practitioner=world.maya, week=world.day, now=now
    )

    assert min(starts(week)) == at(world.day, 9)
    assert not week.days[0].phone_only


def test_the_service_refuses_a_request_too_soon_to_confirm(world, clinic):
    _set_clinic(request_notice_hours=2)
    world.slot(world.maya, 9, 13)

    with pytest.raises(BookingError, match="too soon for us to confirm"):
        appointment_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=at(world.day, 9),
            patient=patient(),
            now=at(world.day, 9) - timedelta(hours=12),
        )


def test_the_day_says_phone_us_on_the_page(client, world, clinic):
    _set_clinic(request_notice_hours=500)  # nothing in the demo's hours is far enough
    world.slot(world.maya, 9, 13)

    content = client.get(
        reverse("booking:time"), {"treatment": "dry-needling", "practitioner": "maya-okafor"}
    ).content.decode()

    assert "too soon for us to confirm online: please phone us" in content
    assert clinic.phone in content


# --- the practitioner step and the nearest free times ------------------------------------------


def test_next_free_time_of_each_practitioner(world):
    world.slot(world.maya, 9, 12)
    world.slot(world.tom, 14, 16, day=world.day + timedelta(days=1))
    now = at(world.day, 7) - timedelta(days=2)

    first = next_free_starts(
        treatment=world.follow_up, practitioners=[world.maya, world.tom], now=now
    )

    assert first == {
        world.maya.pk: at(world.day, 9),
        world.tom.pk: at(world.day + timedelta(days=1), 14),
    }


def test_the_practitioner_step_shows_each_next_free_time(client, world):
    world.slot(world.tom, 14, 16)

    content = client.get(
        reverse("booking:practitioner"), {"treatment": world.follow_up.slug}
    ).content.decode()

    local = timezone.localtime(at(world.day, 14))
    assert f"Next free: {local:%a} {local.day} {local:%b}, 14:00" in content
    assert "No free time online at the moment" in content  # Maya has no slots


def test_nearest_free_times_after_a_clash_are_nearest_before_or_after(world):
    world.slot(world.maya, 8, 18)
    now = at(world.day, 7) - timedelta(days=2)
    taken = at(world.day, 12)
    appointment_book(  # 12:00-12:30, held to 12:35 by the buffer
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=taken,
        patient=patient(),
        now=now,
    )

    nearest = nearest_start_times(
        treatment=world.follow_up, practitioner=world.maya, around=taken, now=now, limit=4
    )

    assert [t.starts_at for t in nearest] == [
        at(world.day, 11),
        at(world.day, 11, 15),  # the last that ends, buffer and all, before 12:00
        at(world.day, 12, 45),  # the first after 12:35
        at(world.day, 13),
    ]


def test_after_a_clash_the_closest_free_time_is_preselected(client, world, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    world.slot(world.maya, 8, 18)
    from tests.booking.booking_world import signed_details

    appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 12),
        patient=patient(name="First"),
        now=timezone.now(),
    )
    response = client.post(
        reverse("booking:confirm"),
        {
            "treatment": world.follow_up.slug,
            "practitioner": "maya-okafor",
            "start": flow.start_format(at(world.day, 12)),
            "details": signed_details(world.follow_up),
        },
    )

    checked = re.search(r'value="maya-okafor\|(\w+)"\s+checked', response.content.decode())
    # 11:15 and 12:45 are both 45 minutes away; the earlier one wins the tie.
    assert flow.start_parse(checked.group(1)) == at(world.day, 11, 15)
    assert response.content.decode().count(" checked") == 1


def test_a_day_without_times_does_not_appear(world):
    world.slot(world.maya, 9, 10)
    world.slot(world.maya, 9, 10, day=world.day + timedelta(days=2))
    now = at(world.day, 7) - timedelta(days=2)

    week = time_picker_week(treatment=world.follow_up, practitioner=world.maya, week=None, now=now)

    assert [d.day for d in week.days] == [world.day, world.day + timedelta(days=2)]
    assert all(isinstance(p.times[0].starts_at.time(), time) for d in week.days for p in d.periods)


def test_the_practitioner_step_shows_a_photo_when_there_is_one(client, world):
    world.maya.photo = image_create(file=make_upload(), alt_text="Maya smiling in the clinic")
    world.maya.save()

    content = client.get(
        reverse("booking:practitioner"), {"treatment": world.follow_up.slug}
    ).content.decode()

    # Her name is right beside it: the photo is decorative here.
    assert re.search(
        r'<picture><source type="image/avif" srcset="/media/images/renditions/[^"]+" '
        r'sizes="3rem">.*?alt="" class="booking-choice__photo"',
        content,
    ), content
    assert content.count("booking-choice__photo") == 1  # Tom has none


# --- day first: the strip of days, full days, the day chosen ------------------------------


def full_day(world, practitioner, day):
    """Hours for exactly one follow-up, and that follow-up booked: the day is full."""
    TimeSlot.objects.create(practitioner=practitioner, starts_at=at(day, 9), ends_at=at(day, 9, 30))
    appointment_book(
        treatment=world.follow_up,
        practitioner=practitioner,
        starts_at=at(day, 9),
        patient=patient(),
        now=at(day, 7) - timedelta(days=3),
    )


def test_the_strip_names_every_day_of_the_week_with_its_count_full_or_none(world):
    monday = world.day - timedelta(days=world.day.weekday()) + timedelta(days=7)
    world.slot(world.maya, 9, 11, day=monday)
    full_day(world, world.maya, monday + timedelta(days=1))
    now = at(monday, 7) - timedelta(days=3)

    week = time_picker_week(
        treatment=world.follow_up, practitioner=world.maya, week=monday, now=now
    )

    states = [(strip_day.day.weekday(), strip_day.state) for strip_day in week.strip]
    assert states[:3] == [(0, "times"), (1, "full"), (2, "none")]
    assert len(week.strip) == 7
    assert week.strip[0].count == len(starts(week)) > 0
    assert [full.day for full in week.full_days] == [monday + timedelta(days=1)]
    assert week.selected.day == monday  # the first day with times


def test_a_full_day_before_the_first_free_one_starts_the_week_so_it_never_vanishes(world):
    monday = world.day - timedelta(days=world.day.weekday()) + timedelta(days=7)
    full_day(world, world.maya, monday)
    world.slot(world.maya, 9, 11, day=monday + timedelta(days=1))
    friday_evening = at(monday - timedelta(days=3), 17, 55)  # the hour issue 21's run found it

    week = time_picker_week(
        treatment=world.follow_up, practitioner=world.maya, week=None, now=friday_evening
    )

    assert week.first_day == monday
    assert (week.strip[0].day, week.strip[0].state) == (monday, "full")
    assert week.selected.day == monday + timedelta(days=1)  # the first day with times
    assert week.earlier is None


def test_today_is_not_called_full_when_its_hours_are_over(world):
    monday = world.day - timedelta(days=world.day.weekday()) + timedelta(days=7)
    world.slot(world.maya, 9, 11, day=monday)
    world.slot(world.maya, 9, 11, day=monday + timedelta(days=2))

    week = time_picker_week(
        treatment=world.follow_up, practitioner=world.maya, week=None, now=at(monday, 18)
    )

    assert week.first_day == monday + timedelta(days=2)
    assert week.strip[0].state == "times"


def test_a_full_day_chosen_says_so_and_offers_the_nearest_days_with_times(client, world):
    monday = world.day - timedelta(days=world.day.weekday()) + timedelta(days=7)
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    world.slot(world.tom, 9, 11, day=monday)
    full_day(world, world.tom, tuesday)
    world.slot(world.tom, 9, 11, day=wednesday)

    response = client.get(
        reverse("booking:time"),
        {"treatment": world.follow_up.slug, "practitioner": "tom-lindqvist", "day": tuesday},
    )

    text = response.content.decode()
    assert response.status_code == 200
    label = f"{tuesday:%A} {tuesday.day} {tuesday:%B}"
    assert f"{label} is fully booked." in text
    assert f"{label}: fully booked" in text  # the strip says it to a screen reader too
    assert "Join the waitlist for it" in text
    nearest = re.search(r"Nearest days with times:(.*?)</p>", text, re.S).group(1)
    assert f"{monday:%A} {monday.day}" in nearest and f"{wednesday:%A} {wednesday.day}" in nearest
    assert flow.start_format(at(monday, 9)) not in text  # no other day's times on the page


def test_the_day_panel_alone_is_what_javascript_swaps_in(client, world):
    world.slot(world.maya, 9, 11)
    params = {
        "treatment": world.follow_up.slug,
        "practitioner": "maya-okafor",
        "day": world.day.isoformat(),
    }

    whole = client.get(reverse("booking:time"), params).content.decode()
    panel = client.get(reverse("booking:time"), {**params, "partial": "day"}).content.decode()

    assert panel.strip().startswith('<div class="booking-day-panel" data-day-panel>')
    assert "<html" not in panel and "data-day-strip" not in panel
    assert flow.start_format(at(world.day, 9)) in panel
    assert re.sub(r"\s+", " ", panel.strip()) in re.sub(r"\s+", " ", whole)


def test_a_week_without_times_says_so_at_the_top(client, world):
    later = world.day + timedelta(days=20)
    world.slot(world.maya, 9, 11, day=later)

    response = client.get(
        reverse("booking:time"),
        {"treatment": world.follow_up.slug, "practitioner": "maya-okafor", "week": world.day},
    )

    text = response.content.decode()
    top = text.index("No free times on these days.")
    assert top < text.index("data-day-strip")
    assert f"{later:%A} {later.day} {later:%B}" in text
