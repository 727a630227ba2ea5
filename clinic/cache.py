"""Moved to clinic/redis_cache.py. This name is kept only for booking/ratelimit.py,
which is being restructured apart; delete it once booking imports clinic.redis_cache."""

from clinic.redis_cache import UNAVAILABLE, Outage

__all__ = ["UNAVAILABLE", "Outage"]
