"""Booking limits that hold: per client address (attempts) and per e-mail (bookings made)."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking import flow, ratelimit
from booking.forms import fill_token_new
from booking.links import manage_url
from booking.models import AppointmentRequest, Notification, NotificationKind, RateLimitCounter
from booking.services import appointment_book
from tests.booking.booking_world import at, make_world, patient, signed_details
from tests.booking.conftest import LOCMEM_MAILERS
from tests.booking.waitlist_world import IMMEDIATE_TASKS
from tests.conftest import closed_port

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the load balancer's address, as gunicorn sees it
FIND = reverse("booking:find")


def links_sent_to(email: str) -> list[Notification]:
    return list(
        Notification.objects.filter(kind=NotificationKind.BOOKING_LINKS, email=email).order_by("pk")
    )


@pytest.fixture
def world(clinic):
    world = make_world()
    world.slot(world.maya, 9, 13)
    return world


@pytest.fixture
def behind_proxy(settings):
    settings.BEHIND_PROXY = True
    settings.BEHIND_PROXY_COUNT = 1


def confirm(client, world, hour, minute=0, *, address=None, **details):
    data = {
        "treatment": world.dry_needling.slug,
        "practitioner": world.maya.slug,
        "start": flow.start_format(at(world.day, hour, minute)),
        "details": signed_details(world.dry_needling, **details),
    }
    extra = {}
    if address:
        extra = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"203.0.113.250, {address}"}
    return client.post(reverse("booking:confirm"), data, **extra)


# --- the abuse cases -------------------------------------------------------------------


def test_junk_query_parameters_do_not_reset_the_booking_limits(client, world, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (2, 3600), "email": (0, 3600)}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tiny",
            "OPTIONS": {"MAX_ENTRIES": 20},
        }
    }
    for hour in (9, 10):
        confirm(client, world, hour, email=f"p{hour}@example.com")
    pages = [
        reverse("home"),
        reverse("articles:article_list"),
        reverse("booking:time") + "?treatment=dry-needling&practitioner=maya-okafor",
    ]
    for n in range(300):
        page = pages[n % len(pages)]
        client.get(page + ("&" if "?" in page else "?") + f"utm_source=junk{n}&x{n}=y")

    response = confirm(client, world, 11, email="p11@example.com")

    assert response.status_code == 429
    assert AppointmentRequest.objects.count() == 2


def test_three_failed_attempts_with_an_email_do_not_block_its_real_booking(client, world, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (10, 3600), "email": (3, 3600)}
    appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 9),
        patient=patient(email="someone.else@example.com"),
        now=timezone.now(),
    )
    for _ in range(3):
        taken = confirm(client, world, 9, email="sam.patel@example.com")
        assert taken.status_code == 409

    response = confirm(client, world, 11, email="sam.patel@example.com")

    assert response.status_code == 302
    assert AppointmentRequest.objects.filter(email="sam.patel@example.com").count() == 1


def test_a_burst_from_one_address_gets_429_while_another_address_books(
    client, world, settings, behind_proxy
):
    settings.BOOKING_RATE_LIMITS = {"ip": (3, 3600), "email": (0, 3600)}
    for minute in (0, 15, 30):
        confirm(client, world, 9, minute, address="198.51.100.7", email="burst@example.com")

    refused = confirm(client, world, 11, address="198.51.100.7", email="burst@example.com")
    other = confirm(client, world, 12, address="192.0.2.44", email="other@example.com")

    assert refused.status_code == 429
    assert 3500 <= int(refused["Retry-After"]) <= 3600
    assert other.status_code == 302
    assert AppointmentRequest.objects.filter(email="other@example.com").count() == 1


def test_the_429_page_keeps_what_was_typed_and_sends_it_again_later(client, world, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 3600), "email": (0, 3600)}
    confirm(client, world, 9, email="first@example.com")

    refused = confirm(client, world, 11, name="Ada Lovelace", email="ada@example.com")

    page = refused.content.decode()
    assert refused.status_code == 429
    assert "Ada Lovelace" in page and "ada@example.com" in page
    assert "press the button again after" in page
    assert f'name="start" value="{flow.start_format(at(world.day, 11))}"' in page
    # The window ends: the same form, sent again unchanged, books the time.
    RateLimitCounter.objects.update(window_ends_at=timezone.now() - timedelta(seconds=1))
    data = {
        "treatment": world.dry_needling.slug,
        "practitioner": world.maya.slug,
        "start": flow.start_format(at(world.day, 11)),
        "details": _hidden(page, "details"),
    }
    again = client.post(reverse("booking:confirm"), data)
    assert again.status_code == 302
    assert AppointmentRequest.objects.get(email="ada@example.com").patient_name == "Ada Lovelace"


def _hidden(page: str, name: str) -> str:
    import re

    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def test_the_email_limit_counts_bookings_made(client, world, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (2, 3600)}
    for hour in (9, 10):
        assert confirm(client, world, hour, email="Sam.Patel@example.com").status_code == 302

    refused = confirm(client, world, 11, email="sam.patel@EXAMPLE.com ")

    assert refused.status_code == 429
    assert "This e-mail address has already been used" in refused.content.decode()
    assert AppointmentRequest.objects.count() == 2


def test_a_limit_of_zero_switches_it_off(client, world, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    for hour in (9, 10, 11):
        assert confirm(client, world, hour).status_code == 302
    assert not RateLimitCounter.objects.exists()


# --- the PostgreSQL store --------------------------------------------------------------


def test_an_attempt_costs_one_upsert_in_postgresql(rf, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (5, 3600), "email": (0, 3600)}
    request = rf.post("/book/confirm/", REMOTE_ADDR="192.0.2.1")
    with CaptureQueriesContext(connection) as queries:
        ratelimit.booking_attempt(request=request, email="a@example.com", now=timezone.now())
    assert len(queries) == 1
    assert queries[0]["sql"].lstrip().startswith("INSERT")
    assert "ON CONFLICT" in queries[0]["sql"]


def test_a_new_window_starts_counting_from_one():
    now = timezone.now()
    store = ratelimit.DatabaseCounters()
    for _ in range(3):
        store.hit("k", window=60, now=now)

    later = store.hit("k", window=60, now=now + timedelta(seconds=61))

    assert later.count == 1
    assert later.window_ends_at == now + timedelta(seconds=121)


def test_pruning_deletes_only_windows_that_have_ended():
    now = timezone.now()
    store = ratelimit.DatabaseCounters()
    store.hit("old", window=60, now=now - timedelta(hours=2))
    store.hit("current", window=3600, now=now)

    assert ratelimit.counters_prune(now=now) == 1
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["current"]


# --- the Redis store -------------------------------------------------------------------


def test_redis_counts_attempts_of_every_server_together(rf, settings, redis_prefix):
    url, prefix = redis_prefix
    settings.REDIS_URL, settings.REDIS_KEY_PREFIX = url, prefix
    settings.BOOKING_RATE_LIMIT_STORE = "redis"
    settings.BOOKING_RATE_LIMITS = {"ip": (2, 3600), "email": (0, 3600)}
    now = timezone.now()
    request = rf.post("/book/confirm/", REMOTE_ADDR="192.0.2.9")

    answers = [
        ratelimit.booking_attempt(request=request, email="a@example.com", now=now) for _ in range(3)
    ]
    # Another server is another process with its own client, on the same Redis.
    ratelimit._redis_by_url.clear()
    fourth = ratelimit.booking_attempt(request=request, email="a@example.com", now=now)

    assert answers[:2] == [None, None]
    assert answers[2].kind == "ip" and fourth.kind == "ip"
    assert not RateLimitCounter.objects.exists()


def test_with_redis_down_the_limits_are_counted_in_postgresql(rf, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.BOOKING_RATE_LIMIT_STORE = "redis"
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 3600), "email": (0, 3600)}
    request = rf.post("/book/confirm/", REMOTE_ADDR="192.0.2.10")
    now = timezone.now()

    first = ratelimit.booking_attempt(request=request, email="a@example.com", now=now)
    second = ratelimit.booking_attempt(request=request, email="a@example.com", now=now)

    assert first is None
    assert second is not None and second.kind == "ip"
    assert RateLimitCounter.objects.get().count == 2


# --- the client's address --------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client wrote 1.2.3.4
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.5", "203.0.113.9"),
        (2, "203.0.113.9", PROXY),  # fewer hops than proxies: not through them
        (1, "not-an-address", PROXY),
        (1, "", PROXY),
    ],
)
def test_behind_proxies_the_client_is_the_address_the_outer_proxy_saw(
    rf, settings, proxies, forwarded, expected
):
    from clinic.client import client_ip

    settings.BEHIND_PROXY, settings.BEHIND_PROXY_COUNT = True, proxies
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_without_a_proxy_forwarded_headers_are_ignored(rf, settings):
    from clinic.client import client_ip

    settings.BEHIND_PROXY = False
    request = rf.get("/", REMOTE_ADDR="192.0.2.3", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "192.0.2.3"


def test_cache_clears_never_touch_the_counters(client, world, settings):
    settings.BOOKING_RATE_LIMITS = {"ip": (1, 3600), "email": (0, 3600)}
    confirm(client, world, 9, email="a@example.com")
    cache.clear()
    assert confirm(client, world, 10, email="b@example.com").status_code == 429


# --- nobody can use someone else's address against them --------------------------------


def test_waitlist_joins_and_lookups_with_a_victims_address_never_lock_the_victim_out(
    client, world, settings, behind_proxy, mailoutbox, django_capture_on_commit_callbacks
):
    # The site's own limits, and the e-mails really sent (the queue runs at once).
    settings.BOOKING_RATE_LIMITS = {"ip": (10, 3600), "email": (3, 3600)}
    settings.BOOKING_LOOKUP_RATE_LIMITS = {"ip": (10, 3600)}
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.TASKS = IMMEDIATE_TASKS
    settings.MAILERS = LOCMEM_MAILERS
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    victim = "vic@example.com"
    joins = [
        client.post(
            reverse("booking:waitlist_join"),
            {
                "treatment": treatment.slug,
                "practitioner": "any",
                "first_day": world.day.isoformat(),
                "last_day": world.day.isoformat(),
                "times_of_day": ["mornings"],
                "name": f"Not Vic {n}",
                "email": victim,
                "phone": "07700 900666",
                "patient_type": "new",
                "consent": "on",
                "started": fill_token_new(time.time() - 60),
            },
            **attacker,
        )
        for n, treatment in enumerate([world.dry_needling, world.follow_up, world.massage])
    ]
    lookups = [client.post(FIND, {"email": victim}, **attacker) for _ in range(3)]
    assert [r.status_code for r in joins] == [303, 303, 303]
    assert {r.status_code for r in lookups} == {303}
    # The places are hers to leave: one links e-mail for three requests, no more.
    assert len(links_sent_to(victim)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        booked = confirm(client, world, 10, address="203.0.113.7", name="Vic Tim", email=victim)
        asked = client.post(
            FIND, {"email": victim}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7"
        )

    assert booked.status_code == 302
    assert AppointmentRequest.objects.get(email=victim).patient_name == "Vic Tim"
    assert asked.status_code == 303
    _attackers, hers = links_sent_to(victim)
    assert hers.status == Notification.Status.SENT
    appointment = AppointmentRequest.objects.get(email=victim)
    to_her = [m for m in mailoutbox if m.to == [victim]]
    assert manage_url(appointment) in to_her[-1].body  # the links e-mail, sent last


def test_an_address_holds_only_a_few_places_on_the_waitlist(world, settings):
    from booking.errors import BookingError
    from booking.waitlist.services import waitlist_join

    settings.BOOKING_WAITLIST_PLACES_PER_EMAIL = 2
    now = at(world.day, 8) - timedelta(days=2)

    def join(treatment):
        return waitlist_join(
            treatment=treatment,
            practitioner=None,
            first_day=world.day,
            last_day=world.day,
            times_of_day=(True, True, True),
            details=patient(email="many@example.com", answers={}),
            now=now,
            privacy_notice_version="2026-11",
        )

    join(world.follow_up)
    join(world.massage)
    with pytest.raises(BookingError, match="already holds 2 places"):
        join(world.dry_needling)


def test_someone_who_types_an_address_cannot_change_its_place_on_the_waitlist(world):
    from booking.errors import BookingError
    from booking.waitlist.services import waitlist_join

    now = at(world.day, 8) - timedelta(days=2)

    def join(name, owned=()):
        return waitlist_join(
            treatment=world.follow_up,
            practitioner=None,
            first_day=world.day,
            last_day=world.day,
            times_of_day=(True, True, True),
            details=patient(name=name, email="ann@example.com", answers={}),
            now=now,
            privacy_notice_version="2026-11",
            owned_references=owned,
        )

    place, _created = join("Ann One")
    with pytest.raises(BookingError, match="already has a place"):
        join("Mallory")
    place.refresh_from_db()
    assert place.patient_name == "Ann One"
    changed, created = join("Ann Two", owned={place.reference})
    assert (changed, created, changed.patient_name) == (place, False, "Ann Two")
