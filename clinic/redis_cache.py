"""A Redis cache that is an optimisation, never a dependency.

With Redis down, refused or black-holed, every cache call answers as an
empty cache would (a miss; writes are dropped) instead of raising, so pages
are rendered from the database as if nothing were cached. Connect and read
timeouts are short (settings: about half a second), and after a failure the
process leaves Redis alone for ``retry_seconds`` before trying again, so a
black-holed Redis costs one timeout per few seconds, not one per cache call.
The outage is logged once a minute, not once per request.

Rules that must hold (booking rate limits) do not use this cache: see
booking/ratelimit.py.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

# The logger keeps the name operators filter on (the module was clinic/cache.py).
logger = logging.getLogger("clinic.cache")

LOG_EVERY_SECONDS = 60


class Outage:
    """One process's view of whether a service is down: a short pause, a quiet log."""

    def __init__(self, name: str, *, retry_seconds: float, clock=time.monotonic):
        self.name = name
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._last_logged = -LOG_EVERY_SECONDS
        self._failures = 0
        self.last_error = ""

    def is_down(self) -> bool:
        return self._clock() < self._down_until

    def failed(self, error: BaseException, *, fallback: str) -> None:
        now = self._clock()
        with self._lock:
            self._down_until = now + self.retry_seconds
            self._failures += 1
            self.last_error = f"{type(error).__name__}: {error}"
            if now - self._last_logged < LOG_EVERY_SECONDS:
                return
            self._last_logged, failures, self._failures = now, self._failures, 0
        logger.warning(
            "%s is unavailable (%s); %s. %d failure(s) since the last message.",
            self.name,
            self.last_error,
            fallback,
            failures,
            extra={"event": "dependency_down", "dependency": self.name},
        )

    def succeeded(self) -> None:
        if self._failures or self.last_error:
            with self._lock:
                if not self.last_error:
                    return
                self._failures, self.last_error = 0, ""
            logger.warning(
                "%s answers again.",
                self.name,
                extra={"event": "dependency_up", "dependency": self.name},
            )


# Errors of a Redis that is down or unreachable (OSError covers DNS and sockets).
UNAVAILABLE = (RedisError, OSError)

# Django makes a cache backend per thread; the outage is one per process and server.
_outages: dict[str, Outage] = {}
_outages_lock = threading.Lock()


def _outage_for(server, retry_seconds: float) -> Outage:
    with _outages_lock:
        key = str(server)
        if key not in _outages:
            _outages[key] = Outage("Redis cache", retry_seconds=retry_seconds)
        return _outages[key]


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, making one redis.Redis per connection pool instead of one per call.

    Each redis.Redis copies its table of about 170 response callbacks when it is
    made: about 0.2 ms, most of what reading a stored page from Redis cost in
    Python (docs/benchmarks.md). redis.Redis is safe to share between threads:
    every command takes its own connection from the pool.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailSoftRedisCache(RedisCache):
    """Django's RedisCache, but a Redis outage reads as an empty cache."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS", {}))
        self.retry_seconds = float(options.pop("RETRY_SECONDS", 5))
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self.outage = _outage_for(server, self.retry_seconds)

    def _soft(self, call, missing):
        if self.outage.is_down():
            return missing
        try:
            result = call()
        except UNAVAILABLE as error:
            self.outage.failed(error, fallback="pages are served without the cache")
            return missing
        self.outage.succeeded()
        return result

    def get(self, key, default=None, version=None):
        base = super()
        return self._soft(lambda: base.get(key, default, version), default)

    def get_many(self, keys, version=None):
        base = super()
        return self._soft(lambda: base.get_many(keys, version), {})

    def has_key(self, key, version=None):
        base = super()
        return self._soft(lambda: base.has_key(key, version), False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        base = super()
        self._soft(lambda: base.set(key, value, timeout, version), None)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        base = super()
        return self._soft(lambda: base.add(key, value, timeout, version), False)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        base = super()
        return self._soft(lambda: base.set_many(data, timeout, version), list(data))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        base = super()
        return self._soft(lambda: base.touch(key, timeout, version), False)

    def delete(self, key, version=None):
        base = super()
        return self._soft(lambda: base.delete(key, version), False)

    def delete_many(self, keys, version=None):
        base = super()
        self._soft(lambda: base.delete_many(keys, version), None)

    def incr(self, key, delta=1, version=None):
        base = super()
        unavailable = object()
        result = self._soft(lambda: base.incr(key, delta, version), unavailable)
        if result is unavailable:
            # What callers already handle for "no such key": they then set it.
            raise ValueError("The cache is unavailable.")
        return result

    def clear(self):
        base = super()
        return self._soft(base.clear, False)

    def health(self) -> str | None:
        """None when Redis answers a PING now, else why not (for /healthz; never cached)."""
        try:
            self._cache.get_client(write=True).ping()
        except UNAVAILABLE as error:
            self.outage.failed(error, fallback="pages are served without the cache")
            return f"{type(error).__name__}: {error}"
        self.outage.succeeded()
        return None
