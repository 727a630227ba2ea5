"""Counters of the rate limits, for when the shared cache (Redis) is not there."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateLimitCounter(models.Model):
    """Booking attempts of one client address, or bookings of one e-mail, in a fixed window.

    The rate limits' store when Redis is not configured (or is down): one
    UPSERT per attempt (booking/ratelimit.py), shared by every server, never
    evicted early. Rows whose window has ended are deleted by `run_daily`.
    """

    key = models.CharField(_("key"), max_length=80, primary_key=True)
    count = models.PositiveIntegerField(_("count"), default=0)
    window_ends_at = models.DateTimeField(_("window ends"), db_index=True)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")
        ordering = ["window_ends_at"]

    def __str__(self):
        return f"{self.key}: {self.count} until {self.window_ends_at:%Y-%m-%d %H:%M}"
