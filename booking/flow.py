"""The booking flow's state, carried in the query string so Back and deep links work.

Parsing is strict: an unknown slug, a malformed time or a practitioner who
does not offer the treatment gives a readable error, never an exception.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from django.urls import reverse

from booking.availability import clinic_zone, local_instant
from booking.forms import ANY_PRACTITIONER
from booking.models import MOST_SESSIONS, Practitioner, Treatment

START_FORMAT = "%Y%m%dT%H%MZ"
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,120}$")
COURSE = "1"  # ?course=1: the patient chose the treatment's course
_SESSION = re.compile(r"^s([0-9]{1,2})$")  # ?s3=<start>: the time picked for session 3


def session_param(number: int) -> str:
    return f"s{number}"


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
    course: bool = False  # chose the treatment's course rather than one session
    # The times picked for sessions of the course whose proposed time was not free.
    session_starts: dict[int, datetime] = field(default_factory=dict)
    course_note: str = ""  # a session time that could not be read (the rest still stands)

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
        if self.course:
            params["course"] = COURSE
            for number, moment in sorted(self.session_starts.items()):
                params[session_param(number)] = start_format(moment)
        params.update(extra)
        return params

    def params_before_time(self, **extra) -> dict:
        """The choice without its time: what the time picker's links build on."""
        params = self.params(**extra)
        for name in [name for name in params if name in ("start", "with") or _SESSION.match(name)]:
            params.pop(name)
        return params

    def course_starts(self) -> list[datetime]:
        """Every session's start: the first time, then the same weekday and time at the
        course's spacing, or the time picked instead where one was."""
        zone = clinic_zone()
        local = self.starts_at.astimezone(zone)
        starts = []
        for number in range(1, self.treatment.course_sessions + 1):
            day = local.date() + timedelta(days=self.treatment.course_spacing_days * (number - 1))
            proposed = local_instant(day, time(local.hour, local.minute), zone)
            starts.append(self.session_starts.get(number, proposed))
        return starts

    def week_param(self, zone) -> str:
        return self.starts_at.astimezone(zone).date().isoformat() if self.starts_at else ""

    @property
    def ends_at(self) -> datetime | None:
        if self.starts_at and self.treatment:
            return self.starts_at + timedelta(minutes=self.treatment.duration_minutes)
        return None


def choice_parse(params, *, need_start: bool = False) -> Choice:
    """Read treatment, practitioner (slug or "any", plus "with" for any) and start."""
    choice = Choice()
    slug = _slug(params.get("treatment"))
    who = _slug(params.get("practitioner"))
    if who == ANY_PRACTITIONER:
        choice.any_practitioner = True
        who = _slug(params.get("with"))
    offer = _offer(slug, who) if slug and who else None
    if offer is not None:
        # The usual case, read in one query; anything amiss is sorted out below.
        choice.treatment, choice.practitioner = offer.treatment, offer.practitioner
    elif slug:
        choice.treatment = Treatment.objects.active().filter(slug=slug).first()
        if choice.treatment is None:
            choice.any_practitioner = False  # as if the practitioner were never read
            choice.error = "We could not find that treatment. Please choose one from the list."
            return choice
    if who and offer is None:
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
    if params.get("course") == COURSE and choice.treatment and choice.treatment.offers_course:
        choice.course = True
        _sessions_parse(params, choice)
    return choice


def _offer(treatment_slug: str, practitioner_slug: str):
    """The active practitioner offering the active treatment, both by slug, in one query:
    their row in the treatments-offered table, with both sides; None if there is none.

    Plain joins on `is_active` (what `active()` means for both): the same test
    through `__in=Treatment.objects.active()` subqueries costs three times as long.
    """
    offers = Practitioner.treatments.through.objects.select_related("treatment", "practitioner")
    found = offers.filter(
        treatment__slug=treatment_slug,
        treatment__is_active=True,
        practitioner__slug=practitioner_slug,
        practitioner__is_active=True,
    )[:1]
    return next(iter(found), None)


def _sessions_parse(params, choice: Choice) -> None:
    """The picked session times (s2, s3, ...); an unreadable one is dropped and said so."""
    unread = []
    for number in range(1, min(choice.treatment.course_sessions, MOST_SESSIONS) + 1):
        raw = params.get(session_param(number))
        if not raw:
            continue
        moment = start_parse(raw)
        if moment is None:
            unread.append(number)
        else:
            choice.session_starts[number] = moment
    if unread:
        which = ", ".join(str(number) for number in unread)
        choice.course_note = (
            f"We could not read the time chosen for session {which}. Please choose it again."
        )
