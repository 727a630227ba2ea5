"""The booking flow's state, carried in the query string so Back and deep links work.

Parsing is strict: an unknown slug, a malformed time or a practitioner who
does not offer the treatment gives a readable error, never an exception.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from django.urls import reverse

from booking.forms import ANY_PRACTITIONER
from booking.models import Practitioner, Treatment

START_FORMAT = "%Y%m%dT%H%MZ"
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,120}$")


def _slug(value) -> str:
    """A slug from the query string, or "" for anything that cannot be one (NUL bytes too)."""
    value = (value or "").strip()
    return value if _SLUG.match(value) else ("?" if value else "")


def start_format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(START_FORMAT)


def start_parse(value: str) -> datetime | None:
    """A start time from a link or form; None for garbage or absurd years."""
    try:
        moment = datetime.strptime((value or "")[:20], START_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment if 2000 <= moment.year <= 2200 else None


def date_parse(value: str) -> date | None:
    try:
        day = date.fromisoformat((value or "")[:10])
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2200 else None


def url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


@dataclass
class Choice:
    """What the patient has chosen so far."""

    treatment: Treatment | None = None
    practitioner: Practitioner | None = None  # the one who will see the patient
    any_practitioner: bool = False  # chose "first available"
    starts_at: datetime | None = None
    error: str = ""

    @property
    def practitioner_param(self) -> str:
        if self.any_practitioner:
            return ANY_PRACTITIONER
        return self.practitioner.slug if self.practitioner else ""

    def params(self, **extra) -> dict:
        params = {
            "treatment": self.treatment.slug if self.treatment else "",
            "practitioner": self.practitioner_param,
        }
        if self.starts_at and self.practitioner:
            params["start"] = start_format(self.starts_at)
            if self.any_practitioner:
                params["with"] = self.practitioner.slug
        params.update(extra)
        return params

    def week_param(self, zone) -> str:
        return self.starts_at.astimezone(zone).date().isoformat() if self.starts_at else ""

    @property
    def ends_at(self) -> datetime | None:
        if self.starts_at and self.treatment:
            from datetime import timedelta

            return self.starts_at + timedelta(minutes=self.treatment.duration_minutes)
        return None


def choice_parse(params, *, need_start: bool = False) -> Choice:
    """Read treatment, practitioner (slug or "any", plus "with" for any) and start."""
    choice = Choice()
    slug = _slug(params.get("treatment"))
    if slug:
        choice.treatment = Treatment.objects.active().filter(slug=slug).first()
        if choice.treatment is None:
            choice.error = "We could not find that treatment. Please choose one from the list."
            return choice
    who = _slug(params.get("practitioner"))
    if who == ANY_PRACTITIONER:
        choice.any_practitioner = True
        who = _slug(params.get("with"))
    if who:
        choice.practitioner = Practitioner.objects.active().filter(slug=who).first()
        if choice.practitioner is None:
            choice.error = "We could not find that practitioner. Please choose again."
            return choice
        if (
            choice.treatment
            and not choice.practitioner.treatments.filter(pk=choice.treatment.pk).exists()
        ):
            choice.error = (
                f"{choice.practitioner.name} does not offer {choice.treatment.name}. "
                "Please choose again."
            )
            choice.practitioner = None
            return choice
    raw_start = params.get("start")
    if raw_start or need_start:
        choice.starts_at = start_parse(raw_start or "")
        if choice.starts_at is None or choice.treatment is None or choice.practitioner is None:
            choice.starts_at = None
            choice.error = "We could not read that time. Please choose a time from the list."
    return choice
