"""The time picker's stored copy serves visitors with a session too, never anyone's page."""

from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking import flow
from clinic import page_cache
from clinic.page_cache import PublicPageCacheMiddleware
from tests.booking.booking_world import at, book_and_commit, make_world

pytestmark = pytest.mark.django_db

MAYA = {"treatment": "dry-needling", "practitioner": "maya-okafor"}


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_TIMES_CACHE_SECONDS = 60
    world = make_world()
    world.slot(world.maya, 9, 13)
    return world


def _with_session(client) -> None:
    """A session with something in it, as a patient part way through booking has."""
    session = client.session
    session["booking-started"] = "yes"
    session.save()


def test_a_visitor_with_a_session_gets_the_stored_picker_without_a_query(client, world):
    anonymous = client.get(reverse("booking:time"), MAYA)
    assert anonymous["X-Page-Cache"] == "miss"

    _with_session(client)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(reverse("booking:time"), MAYA)
    assert again["X-Page-Cache"] == "hit"
    assert len(queries) == 0  # not even the session is read
    assert again.content == anonymous.content


def test_a_copy_rendered_for_a_visitor_with_a_session_is_served_to_everyone(client, world):
    _with_session(client)
    first = client.get(reverse("booking:time"), MAYA)
    assert first["X-Page-Cache"] == "miss"
    assert "Cookie" not in first.get("Vary", "")  # the rendering never read the session

    client.cookies.clear()
    assert client.get(reverse("booking:time"), MAYA)["X-Page-Cache"] == "hit"


def test_staff_get_the_stored_picker_too(admin_client, client, world):
    client.get(reverse("booking:time"), MAYA)
    assert admin_client.get(reverse("booking:time"), MAYA)["X-Page-Cache"] == "hit"


def test_a_patient_who_booked_is_never_shown_the_time_they_took(client, world):
    _with_session(client)
    taken = flow.start_format(at(world.day, 10))
    assert taken in client.get(reverse("booking:time"), MAYA).content.decode()
    assert client.get(reverse("booking:time"), MAYA)["X-Page-Cache"] == "hit"

    book_and_commit(world.dry_needling, world.maya, at(world.day, 10))

    after = client.get(reverse("booking:time"), MAYA)
    assert after["X-Page-Cache"] == "miss"
    assert taken not in after.content.decode()


def test_pending_messages_still_get_a_fresh_picker(client, world):
    client.get(reverse("booking:time"), MAYA)
    _with_session(client)
    client.cookies["messages"] = "pending"
    assert "X-Page-Cache" not in client.get(reverse("booking:time"), MAYA)


@pytest.mark.parametrize("reads_session", [True, False])
def test_a_picker_rendered_after_reading_the_session_is_never_stored(rf, world, reads_session):
    """Were the picker ever to show something from the session, that copy would be
    someone's: it is rendered afresh for each visitor instead."""
    calls = []

    def picker(request):
        calls.append(1)
        request.session = SessionStore()
        if reads_session:
            request.session.get("booking-started")
        return HttpResponse("times")

    middleware = PublicPageCacheMiddleware(picker)
    for _ in range(2):
        assert middleware(rf.get(reverse("booking:time"), MAYA)).status_code == 200
    assert len(calls) == (2 if reads_session else 1)


def test_a_stored_copy_is_served_in_one_cache_round_trip(client, world):
    """The copy and the generations it depends on are read together, as whitenoise
    reads a static file once: no second trip to the cache for a hit."""
    client.get(reverse("booking:time"), MAYA)
    trips = []

    class Counted:
        def __getattr__(self, name):
            trips.append(name)
            return getattr(cache, name)

    with mock.patch.object(page_cache, "cache", Counted()):
        hit = client.get(reverse("booking:time"), MAYA)
    assert hit["X-Page-Cache"] == "hit"
    assert trips == ["get_many"]


def test_a_copy_stored_before_a_booking_is_not_served_after_it(client, world):
    """The copy records the generations it was made under; one bumped since is a miss,
    even when the copy is still in the cache."""
    client.get(reverse("booking:time"), MAYA)
    stored = sum(1 for key in cache._cache if ":page:" in key)
    page_cache.bump_generation("booking:availability-generation")
    assert client.get(reverse("booking:time"), MAYA)["X-Page-Cache"] == "miss"
    assert sum(1 for key in cache._cache if ":page:" in key) == stored


@pytest.mark.parametrize("junk", ["\x00", "x" * 5000, "9" * 40, "²", "../../etc"])
def test_junk_in_every_parameter_with_a_session_gets_a_page_never_a_500(client, world, junk):
    _with_session(client)
    for name in ("treatment", "practitioner", "week", "day", "partial", "course", "with"):
        params = {**MAYA, name: junk}
        for _ in range(2):  # rendered, then (when stored) from the cache
            response = client.get(reverse("booking:time"), params)
            assert response.status_code in (200, 400), (name, response.status_code)
