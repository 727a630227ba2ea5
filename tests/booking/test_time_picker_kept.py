"""The free times a picker page is drawn from are kept per treatment and team, and go
stale with the same changes as the page: never a time just taken, never another
practitioner's times recomputed for nothing."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking import flow
from booking.availability import clinic_zone, local_instant
from booking.picker import time_picker_week
from booking.services import slot_set_blocked
from tests.booking.booking_world import at, book_and_commit, make_world

pytestmark = pytest.mark.django_db

MAYA = {"treatment": "dry-needling", "practitioner": "maya-okafor"}
TOM = {"treatment": "dry-needling", "practitioner": "tom-lindqvist"}
ANYONE = {"treatment": "dry-needling", "practitioner": "any"}


@pytest.fixture
def world(clinic, settings):
    # Every page rendered, so what is measured is the kept times alone.
    settings.BOOKING_TIMES_CACHE_SECONDS = 0
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 60
    world = make_world()
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    return world


def _queries(client, params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("booking:time"), params)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def _computed(client, params, settings) -> int:
    """The queries of a page that computes its free times (after one that loads the clinic)."""
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    _queries(client, params)
    count = _queries(client, params)[0]
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 60
    return count


def test_a_second_page_reuses_the_free_times_two_queries_fewer(client, world, settings):
    computed = _computed(client, MAYA, settings)
    first, page = _queries(client, MAYA)
    assert first == computed
    again, page_again = _queries(client, MAYA)
    assert again == computed - 2  # no slots, no appointments read
    assert page_again == page


def test_a_time_just_taken_is_never_offered_from_the_kept_times(client, world):
    taken = flow.start_format(at(world.day, 10))
    for params in (MAYA, ANYONE):
        assert taken in _queries(client, params)[1]

    book_and_commit(world.dry_needling, world.maya, at(world.day, 10))

    assert taken not in _queries(client, MAYA)[1]
    # First available still offers 10:00, now with Tom.
    anyone = _queries(client, ANYONE)[1]
    assert f"{taken}&amp;with=tom-lindqvist" in anyone
    assert f"{taken}&amp;with=maya-okafor" not in anyone


def test_a_booking_for_maya_leaves_toms_kept_times_reused(client, world, settings):
    computed = _computed(client, TOM, settings)
    for params in (TOM, MAYA):
        _queries(client, params)

    book_and_commit(world.dry_needling, world.maya, at(world.day, 10))

    assert _queries(client, TOM)[0] == computed - 2
    assert _queries(client, MAYA)[0] == computed  # hers are computed again


def test_blocking_a_slot_empties_the_kept_times(client, world, django_capture_on_commit_callbacks):
    morning = flow.start_format(at(world.day, 9))
    assert morning in _queries(client, MAYA)[1]
    slot = world.maya.slots.get()
    with django_capture_on_commit_callbacks(execute=True):
        slot_set_blocked(slot_id=slot.pk, blocked=True)
    assert morning not in _queries(client, MAYA)[1]


def test_times_kept_early_in_the_day_are_the_times_of_any_later_moment(world, clinic):
    """One copy serves the whole day: as minimum notice moves on, the kept times from
    that moment on are exactly what computing them afresh gives."""
    clinic.min_notice_hours = 2
    clinic.save()
    world.slot(world.maya, 14, 18)
    world.slot(world.maya, 8, 12, day=world.day - timedelta(days=1))
    dawn = local_instant(world.day - timedelta(days=1), time(0), clinic_zone())
    for minutes in range(0, 24 * 60, 37):  # odd minutes, off every step
        now = dawn + timedelta(minutes=minutes)
        for practitioner in (world.maya, None):
            kept = time_picker_week(
                treatment=world.dry_needling,
                practitioner=practitioner,
                week=None,
                now=now,
                reuse=True,
            )
            fresh = time_picker_week(
                treatment=world.dry_needling, practitioner=practitioner, week=None, now=now
            )
            assert kept == fresh, now


def test_a_change_to_the_treatments_timing_is_never_served_the_old_times(client, world):
    quarter_past = flow.start_format(at(world.day, 9, 15))
    assert quarter_past in _queries(client, MAYA)[1]
    world.dry_needling.start_step_minutes = 30
    world.dry_needling.save()
    page = _queries(client, MAYA)[1]
    assert quarter_past not in page
    assert flow.start_format(at(world.day, 9, 30)) in page
