"""The clinic's identity as every page reads it: cached, one query on a miss."""

from dataclasses import dataclass
from datetime import time
from itertools import groupby

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db.models import OuterRef
from django.db.models.functions import JSONObject

from clinic.models import ClinicProfile, OpeningHours
from clinic.page_cache import bump_site_generation

CACHE_KEY = "clinic:profile:v1"


@dataclass(frozen=True)
class Interval:
    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class HoursRow:
    """A run of consecutive days with the same hours, as shown in the footer."""

    days: str
    hours: str

    @property
    def intervals(self) -> list[str]:
        """["08:00–13:00", "14:00–19:00"]: each kept whole on one line."""
        return self.hours.split(", ")


def get_clinic() -> ClinicProfile:
    clinic = cache.get(CACHE_KEY)
    if clinic is None:
        clinic = _load_clinic()
        cache.set(CACHE_KEY, clinic, settings.CLINIC_CACHE_SECONDS)
    return clinic


def forget_clinic() -> None:
    """Drop the cached identity and every cached page that shows it."""
    cache.delete(CACHE_KEY)
    bump_site_generation()


def forget_clinic_when_an_image_changes(sender, **kwargs) -> None:
    """images.signals.image_changed: the identity holds the clinic's photo, and
    cached pages show library pictures (connected in clinic/apps.py)."""
    forget_clinic()


def _load_clinic() -> ClinicProfile:
    intervals = (
        OpeningHours.objects.filter(clinic=OuterRef("pk"))
        .order_by("weekday", "opens")
        .values(json=JSONObject(weekday="weekday", opens="opens", closes="closes"))
    )
    clinic = (
        ClinicProfile.objects.select_related("photo")
        .annotate(hours_json=ArraySubquery(intervals))
        .first()
    )
    if clinic is None:
        # A fresh database before the demo content or staff fill it in.
        clinic = ClinicProfile(
            name="Our clinic",
            phone="",
            email="",
            street_address="",
            locality="",
            postal_code="",
            cancellation_policy="",
            privacy_notice="",
            privacy_notice_version="",
        )
        clinic.hours_json = []
    clinic.intervals = [
        Interval(
            weekday=item["weekday"],
            opens=time.fromisoformat(item["opens"]),
            closes=time.fromisoformat(item["closes"]),
        )
        for item in clinic.hours_json
    ]
    return clinic


def _day_name(weekday: int) -> str:
    return str(OpeningHours.Weekday(weekday).label)


def opening_hours_rows(clinic: ClinicProfile) -> list[HoursRow]:
    """Group consecutive weekdays with identical hours: "Monday–Friday 08:00–19:00"."""
    by_day = {
        day: ", ".join(f"{i.opens:%H:%M}–{i.closes:%H:%M}" for i in group)
        for day, group in groupby(clinic.intervals, key=lambda i: i.weekday)
    }
    rows: list[HoursRow] = []
    start = 0
    for day in range(1, 8):
        if day == 7 or by_day.get(day) != by_day.get(start):
            text = by_day.get(start, "Closed")
            first, last = _day_name(start), _day_name(day - 1)
            rows.append(HoursRow(days=first if start == day - 1 else f"{first}–{last}", hours=text))
            start = day
    return rows


def opening_hours_schema(clinic: ClinicProfile) -> list[dict]:
    """schema.org OpeningHoursSpecification entries for JSON-LD."""
    return [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{_day_name(i.weekday)}",
            "opens": f"{i.opens:%H:%M}",
            "closes": f"{i.closes:%H:%M}",
        }
        for i in clinic.intervals
    ]
