"""The time picker runs a fixed number of queries, however full the diary is."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking import flow
from booking.caching import availability_changed, practitioner_generation_key
from booking.models import AppointmentRequest, AppointmentStatus, TimeSlot
from booking.selectors import available_start_times
from booking.services import appointment_book, appointment_change_status
from clinic.page_cache import generations
from tests.booking.booking_world import at, make_world, patient

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 8


@pytest.fixture
def world(clinic, settings):
    # The budget is for a real render; the short-lived page cache is tested below.
    settings.BOOKING_TIMES_CACHE_SECONDS = 0
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    return make_world()


def _generation() -> int:
    """The generation of Maya's picker pages: every change to her booked time bumps it."""
    return generations((practitioner_generation_key("maya-okafor"),))[0]


def fill_diary(world, *, weeks: int, per_day: int) -> int:
    """Slots 08:00-18:00 on weekdays, with `per_day` one-hour appointments each day."""
    today = timezone.localdate()
    slots, appointments = [], []
    for offset in range(1, weeks * 7 + 1):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        slots.append(TimeSlot(practitioner=world.maya, starts_at=at(day, 8), ends_at=at(day, 18)))
        for n in range(per_day):
            start = at(day, 8 + 2 * n)
            appointments.append(
                AppointmentRequest(
                    reference=f"Q{offset:03d}-{n}",
                    manage_token_hash=f"token-{offset}-{n}",
                    treatment=world.dry_needling,
                    practitioner=world.maya,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=45),
                    occupied_until=start + timedelta(minutes=55),
                    patient_name="Busy Patient",
                    email="busy@example.com",
                    phone="07700 900123",
                    privacy_notice_version="2026-11",
                )
            )
    TimeSlot.objects.bulk_create(slots)
    AppointmentRequest.objects.bulk_create(appointments)
    return len(appointments)


def count_queries(client, params) -> int:
    client.get(reverse("booking:time"), params)  # warm the clinic cache like a live site
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("booking:time"), params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("practitioner", ["maya-okafor", "any"])
def test_time_picker_queries_do_not_grow_with_eight_weeks_of_appointments(
    client, world, practitioner
):
    params = {"treatment": "dry-needling", "practitioner": practitioner}
    fill_diary(world, weeks=1, per_day=1)
    small = count_queries(client, params)

    AppointmentRequest.objects.all().delete()
    TimeSlot.objects.all().delete()
    assert fill_diary(world, weeks=8, per_day=5) >= 200
    large = count_queries(client, params)

    assert large == small
    assert large <= QUERY_BUDGET


def test_time_picker_for_a_later_week_stays_in_budget(client, world, django_assert_max_num_queries):
    fill_diary(world, weeks=8, per_day=5)
    later = (timezone.localdate() + timedelta(days=28)).isoformat()
    params = {"treatment": "dry-needling", "practitioner": "maya-okafor", "week": later}
    client.get(reverse("booking:time"), params)

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(reverse("booking:time"), params)

    assert response.status_code == 200


def test_offered_times_skip_appointments_and_fit_shorter_treatments(world):
    TimeSlot.objects.create(
        practitioner=world.maya, starts_at=at(world.day, 9), ends_at=at(world.day, 11, 30)
    )
    now = at(world.day, 7) - timedelta(days=1)
    start = at(world.day, 9, 45)
    AppointmentRequest.objects.create(
        reference="FIT-1",
        manage_token_hash="fit-token",
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=start,
        ends_at=start + timedelta(minutes=45),
        occupied_until=start + timedelta(minutes=55),  # 09:45-10:40 held
        patient_name="Booked",
        email="b@example.com",
        phone="0123456789",
        privacy_notice_version="x",
    )

    def starts(treatment):
        times = available_start_times(
            treatment=treatment, practitioner=world.maya, start=world.day, days=1, now=now
        )
        return [
            t.starts_at.astimezone(at(world.day, 0).tzinfo).strftime("%H:%M")
            for t in times.get(world.day, [])
        ]

    # 45 minutes + 10 buffer before 09:45 does not fit at 09:00; a 30-minute
    # follow-up (+5) does. After the hold ends at 10:40 the next start on the
    # grid is 10:45, and both still end inside the slot (11:30).
    assert starts(world.dry_needling) == ["10:45"]
    assert starts(world.follow_up) == ["09:00", "10:45", "11:00"]


def test_min_notice_hides_times_too_soon(world):
    world.slot(world.maya, 9, 13)
    now = at(world.day, 8)  # two hours' notice: 10:00 is the first

    times = available_start_times(
        treatment=world.follow_up, practitioner=world.maya, start=world.day, days=1, now=now
    )

    assert times[world.day][0].starts_at == at(world.day, 10)


def test_blocked_slot_offers_nothing(world):
    world.slot(world.maya, 9, 13, is_blocked=True)

    times = available_start_times(
        treatment=world.follow_up,
        practitioner=world.maya,
        start=world.day,
        days=1,
        now=at(world.day, 0),
    )

    assert times == {}


def test_first_available_lists_each_time_once_with_the_first_practitioner(world):
    world.slot(world.maya, 9, 10)
    world.slot(world.tom, 9, 10)

    times = available_start_times(
        treatment=world.follow_up, start=world.day, days=1, now=at(world.day, 0)
    )[world.day]

    assert [t.starts_at for t in times] == [
        at(world.day, 9),
        at(world.day, 9, 15),
        at(world.day, 9, 30),
    ]
    assert {t.practitioner for t in times} == {world.maya}


def test_cached_time_picker_answers_without_queries_until_a_booking(client, world, settings):
    settings.BOOKING_TIMES_CACHE_SECONDS = 60
    world.slot(world.maya, 9, 13)
    params = {"treatment": "dry-needling", "practitioner": "maya-okafor"}
    taken = flow.start_format(at(world.day, 10))
    assert taken in client.get(reverse("booking:time"), params).content.decode()

    with CaptureQueriesContext(connection) as queries:
        hit = client.get(reverse("booking:time"), params)
    assert hit["X-Page-Cache"] == "hit"
    assert len(queries) == 0

    appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(),
        now=timezone.now(),
    )
    availability_changed()  # what the service does on commit (tests run in one transaction)
    after = client.get(reverse("booking:time"), params)
    assert after["X-Page-Cache"] == "miss"
    assert taken not in after.content.decode()


def test_booking_service_empties_the_time_picker_cache_on_commit(
    world, django_capture_on_commit_callbacks
):
    world.slot(world.maya, 9, 13)
    before = _generation()

    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=at(world.day, 10),
            patient=patient(),
            now=timezone.now(),
        )

    assert _generation() > before


def test_staff_declining_a_request_empties_the_time_picker_cache_on_commit(
    world, django_capture_on_commit_callbacks
):
    world.slot(world.maya, 9, 13)
    appointment = appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(),
        now=timezone.now(),
    )
    before = _generation()

    with django_capture_on_commit_callbacks(execute=True):
        appointment_change_status(
            appointment_id=appointment.pk,
            to_status=AppointmentStatus.DECLINED,
            now=timezone.now(),
            note="Fully booked that morning.",
        )

    assert _generation() > before


def test_slot_generation_empties_the_time_picker_cache_only_when_slots_change(
    world, django_capture_on_commit_callbacks
):
    from booking.models import WeeklyAvailability
    from booking.services import slots_generate

    WeeklyAvailability.objects.create(
        practitioner=world.maya, weekday=world.day.weekday(), starts_at="09:00", ends_at="12:00"
    )
    now = timezone.now()
    before = _generation()

    with django_capture_on_commit_callbacks(execute=True):
        slots_generate(start=world.day, days=1, now=now)
    changed = _generation()
    with django_capture_on_commit_callbacks(execute=True):
        slots_generate(start=world.day, days=1, now=now)  # nothing new to make

    assert changed > before
    assert _generation() == changed


def test_a_booking_for_maya_leaves_toms_stored_picker_served_and_never_shows_her_taken_time(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.BOOKING_TIMES_CACHE_SECONDS = 60
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    maya = {"treatment": "dry-needling", "practitioner": "maya-okafor"}
    tom = {"treatment": "dry-needling", "practitioner": "tom-lindqvist"}
    anyone = {"treatment": "dry-needling", "practitioner": "any"}
    only_maya = {"treatment": "massage-therapy", "practitioner": "any"}
    for params in (maya, tom, anyone, only_maya):
        assert client.get(reverse("booking:time"), params)["X-Page-Cache"] == "miss"
    taken = flow.start_format(at(world.day, 10))

    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(
            treatment=world.follow_up,
            practitioner=world.tom,
            starts_at=at(world.day, 10),
            patient=patient(),
            now=timezone.now(),
        )

    # Tom's picker and the first-available pickers of his treatments are made again...
    for params in (tom, anyone):
        after = client.get(reverse("booking:time"), params)
        assert after["X-Page-Cache"] == "miss", params
    assert taken not in client.get(reverse("booking:time"), tom).content.decode()
    # ...while Maya's, and the first-available picker of a treatment only she gives, are served.
    for params in (maya, only_maya):
        assert client.get(reverse("booking:time"), params)["X-Page-Cache"] == "hit", params


@pytest.mark.parametrize("junk", ["\x00", "x" * 5000, "../../etc", "any"])
def test_junk_practitioners_and_treatments_get_a_page_never_a_500(client, world, settings, junk):
    settings.BOOKING_TIMES_CACHE_SECONDS = 60
    for params in (
        {"treatment": junk, "practitioner": junk},
        {"treatment": "dry-needling", "practitioner": junk},
    ):
        assert client.get(reverse("booking:time"), params).status_code < 500
