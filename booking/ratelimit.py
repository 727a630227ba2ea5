"""Limits on online booking: attempts per client address, bookings per e-mail address.

Two rules, each over a fixed window (BOOKING_RATE_LIMITS):

- every booking attempt, waitlist join and "find my booking" request counts
  against the client's address (clinic.client: behind a proxy, the address
  the proxy saw), so a script cannot fill the diary or probe it from one
  place: the sender is slowed, never the owner of an address they type;
- only bookings actually made count against an e-mail address, so failed
  attempts (a time just taken, a typo) and anything else done with someone's
  address never lock its owner out of a real booking, while one address
  cannot hold more than a few appointments an hour.

"Find my booking" (BOOKING_LOOKUP_RATE_LIMITS) counts requests per client
address the same way. What it sends to an address is spaced out by
booking.lookup, by the e-mails it actually sent; waitlist places are limited
by how many an address holds (booking.waitlist.services).

The counters live where nothing evicts them early and every server sees the
same numbers: in Redis when it is configured, otherwise in PostgreSQL
(RateLimitCounter, one UPSERT per attempt, pruned by `run_daily`). When
Redis is configured but down, the counting moves to PostgreSQL until it is
back, so the limits still hold.
"""

import hashlib
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from booking.models import RateLimitCounter
from clinic.client import client_ip
from clinic.redis_cache import UNAVAILABLE, Outage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Count:
    count: int
    window_ends_at: datetime | None


class DatabaseCounters:
    """Counters in PostgreSQL: one statement per hit, shared by every server."""

    _HIT = f"""
        INSERT INTO {RateLimitCounter._meta.db_table} AS c (key, count, window_ends_at)
        VALUES (%(key)s, 1, %(ends)s)
        ON CONFLICT (key) DO UPDATE SET
            count = CASE WHEN c.window_ends_at <= %(now)s THEN 1 ELSE c.count + 1 END,
            window_ends_at = CASE
                WHEN c.window_ends_at <= %(now)s THEN EXCLUDED.window_ends_at
                ELSE c.window_ends_at
            END
        RETURNING count, window_ends_at
    """  # noqa: S608 - the table name is ours; values are parameters

    def hit(self, key: str, *, window: int, now: datetime) -> Count:
        with connection.cursor() as cursor:
            cursor.execute(
                self._HIT, {"key": key, "ends": now + timedelta(seconds=window), "now": now}
            )
            count, ends = cursor.fetchone()
        return Count(count, ends)

    def peek(self, key: str, *, now: datetime) -> Count:
        row = (
            RateLimitCounter.objects.filter(key=key, window_ends_at__gt=now)
            .values_list("count", "window_ends_at")
            .first()
        )
        return Count(*row) if row else Count(0, None)


class RedisCounters:
    """Counters in Redis: a key per window that expires with it, one round trip a call."""

    def __init__(self, url: str, prefix: str, timeout: float):
        import redis

        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout
        )

    def hit(self, key: str, *, window: int, now: datetime) -> Count:
        key = f"{self.prefix}:{key}"
        pipe = self.client.pipeline(transaction=True)
        pipe.set(key, 0, ex=window, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _created, count, ttl = pipe.execute()
        return Count(count, now + timedelta(seconds=max(ttl, 1)))

    def peek(self, key: str, *, now: datetime) -> Count:
        key = f"{self.prefix}:{key}"
        pipe = self.client.pipeline(transaction=False)
        pipe.get(key)
        pipe.ttl(key)
        value, ttl = pipe.execute()
        if value is None or ttl == -2:
            return Count(0, None)
        return Count(int(value), now + timedelta(seconds=max(ttl, 1)))


_database = DatabaseCounters()
_redis_by_url: dict[tuple, RedisCounters] = {}
_redis_outage = Outage("Redis (booking limits)", retry_seconds=5)
_FALLBACK = "booking limits are counted in PostgreSQL meanwhile"


def _redis() -> RedisCounters | None:
    if settings.BOOKING_RATE_LIMIT_STORE != "redis" or not settings.REDIS_URL:
        return None
    where = (settings.REDIS_URL, settings.REDIS_KEY_PREFIX, settings.REDIS_TIMEOUT)
    if where not in _redis_by_url:
        _redis_by_url[where] = RedisCounters(
            settings.REDIS_URL, f"{settings.REDIS_KEY_PREFIX}:ratelimit", settings.REDIS_TIMEOUT
        )
    return _redis_by_url[where]


def _count(method: str, key: str, **kwargs) -> Count:
    store = _redis()
    if store is not None and not _redis_outage.is_down():
        try:
            result = getattr(store, method)(key, **kwargs)
        except UNAVAILABLE as error:
            _redis_outage.failed(error, fallback=_FALLBACK)
        else:
            _redis_outage.succeeded()
            return result
    return getattr(_database, method)(key, **kwargs)


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode("utf-8", "surrogateescape"))
    return f"booking:{kind}:{digest.hexdigest()[:40]}"


@dataclass(frozen=True)
class Refusal:
    """Why a booking attempt is refused, and when the patient may try again."""

    kind: str  # "ip" or "email"
    retry_at: datetime
    retry_after: int  # seconds, for the Retry-After header

    def when(self, zone) -> str:
        """ "after 14:05 (in about 12 minutes)": when the patient may try again."""
        minutes = max(1, math.ceil(self.retry_after / 60))
        return (
            f"after {self.retry_at.astimezone(zone):%H:%M} "
            f"(in about {minutes} minute{'s' if minutes != 1 else ''})"
        )

    def message(self, zone) -> str:
        when = self.when(zone)
        if self.kind == "email":
            return (
                "This e-mail address has already been used for as many online bookings as we "
                f"accept in an hour, so nothing more was booked. Your details are kept: you can "
                f"book this time {when}, or phone us."
            )
        return (
            "We have received many booking attempts from your connection in the last hour, "
            f"so this one was not sent. Your details are kept: press the button again {when}, "
            "or phone us."
        )

    def try_again(self, *, what: str, zone) -> str:
        """The sentence for a page other than the booking's own: `what` was not sent."""
        when = self.when(zone)
        if self.kind == "email":
            return (
                f"This e-mail address has been used as often as we accept in an hour, so {what} "
                f"was not sent. Your details are kept: please try again {when}, or phone us."
            )
        return (
            "We have received many requests from your connection in the last hour, so "
            f"{what} was not sent. Your details are kept: please try again {when}, or phone us."
        )


def _refusal(kind: str, count: Count, now: datetime) -> Refusal:
    ends = count.window_ends_at or now + timedelta(seconds=1)
    return Refusal(kind, ends, max(1, math.ceil((ends - now).total_seconds())))


def sender_attempt(*, request, now: datetime, limits: dict | None = None) -> Refusal | None:
    """Count one attempt from this client's address; a Refusal once it asked too often."""
    limit, window = (limits or settings.BOOKING_RATE_LIMITS).get("ip", (0, 0))
    if not limit:
        return None
    kind = "ip" if limits is None else "lookup-ip"
    address = client_ip(request) or "unknown"
    attempts = _count("hit", _key(kind, address), window=window, now=now)
    return _refusal("ip", attempts, now) if attempts.count > limit else None


def booking_attempt(*, request, email: str, now: datetime) -> Refusal | None:
    """Count one booking attempt from this client; a Refusal when a limit is reached."""
    refusal = sender_attempt(request=request, now=now)
    if refusal is not None:
        return refusal
    email_limit, _window = settings.BOOKING_RATE_LIMITS.get("email", (0, 0))
    if email_limit:
        bookings = _count("peek", _key("email", email), now=now)
        if bookings.count >= email_limit:
            return _refusal("email", bookings, now)
    return None


def booking_made(*, email: str, now: datetime) -> None:
    """Count a booking made with this e-mail address (call after it is saved)."""
    email_limit, email_window = settings.BOOKING_RATE_LIMITS.get("email", (0, 0))
    if email_limit:
        _count("hit", _key("email", email), window=email_window, now=now)


def lookup_attempt(*, request, now: datetime) -> Refusal | None:
    """Count one "find my booking" request from this client's address.

    Only the sender is counted: the address asked about is not, so nobody can
    use up someone else's requests (booking.lookup spaces out what is sent).
    """
    return sender_attempt(request=request, now=now, limits=settings.BOOKING_LOOKUP_RATE_LIMITS)


def counters_prune(*, now: datetime) -> int:
    """Delete PostgreSQL counters whose window has ended (Redis keys expire by themselves)."""
    deleted, _ = RateLimitCounter.objects.filter(window_ends_at__lte=now).delete()
    return deleted
