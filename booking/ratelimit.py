"""Per-IP and per-e-mail limits on booking submissions, counted in Django's cache.

A fixed one-hour window per key: simple and enough to stop a script from
filling the diary. The cache must be shared by every worker in production
(REDIS_URL); with the local-memory cache each worker counts separately.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """The client's address; behind a trusted proxy, the one it saw last."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"booking:rate:{kind}:{digest}"


def limit_hit(*, kind: str, value: str) -> bool:
    """Count one submission; True when it goes over the limit for `kind`."""
    limit, window = settings.BOOKING_RATE_LIMITS.get(kind, (0, 0))
    if not limit:
        return False
    key = _key(kind, value)
    if cache.add(key, 1, timeout=window):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return False
    return count > limit


def submission_allowed(*, request, email: str) -> bool:
    """Both limits are counted on every attempt, so neither can be dodged."""
    over_ip = limit_hit(kind="ip", value=client_ip(request))
    over_email = limit_hit(kind="email", value=email)
    return not (over_ip or over_email)
