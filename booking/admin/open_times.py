"""Free start times for staff (moves, phone-in suggestions), and the clash a taken time names.

Staff are not held to the online notice period or booking horizon; blocked
time is never offered. move.py and phone_in.py offer these times; forms.py
reads a chosen one back.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from booking.availability import clinic_zone
from booking.models import AppointmentRequest, Practitioner, Treatment
from booking.selectors import open_start_times

# Years a chosen time may fall in: far beyond any diary, never near date's limits.
FIRST_OPEN_YEAR, LAST_OPEN_YEAR = 2000, 2099


@dataclass(frozen=True)
class OpenTime:
    practitioner: Practitioner
    starts_at: datetime  # in the clinic's zone

    @property
    def value(self) -> str:
        """How a form names this choice: practitioner id and the start, to the minute."""
        return f"{self.practitioner.pk}@{self.starts_at:%Y-%m-%dT%H:%M}"


_OPEN_TIME = re.compile(r"^(\d{1,18})@(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$")


def parse_open_time(value: str, practitioners: list[Practitioner]) -> OpenTime | None:
    """The OpenTime a form's value names, if its practitioner is one of `practitioners`."""
    match = _OPEN_TIME.match(value or "")
    if not match:
        return None
    by_id = {p.pk: p for p in practitioners}
    practitioner = by_id.get(int(match[1]))
    try:
        starts_at = datetime.combine(
            date.fromisoformat(match[2]), time.fromisoformat(match[3]), tzinfo=clinic_zone()
        )
    except ValueError:
        return None
    if practitioner is None or not FIRST_OPEN_YEAR <= starts_at.year <= LAST_OPEN_YEAR:
        return None
    return OpenTime(practitioner, starts_at)


def open_times(
    *,
    treatment: Treatment,
    practitioners: list[Practitioner],
    start: datetime,
    end: datetime,
    now: datetime,
    ignore_appointment_id: int | None = None,
) -> list[OpenTime]:
    """Where staff can put `treatment`: every practitioner's free starts, from now on.

    Sorted by time, then by the practitioners' order.
    """
    zone = clinic_zone()
    by_id = {p.pk: p for p in practitioners if treatment in p.treatments.all()}
    if not by_id or end <= max(start, now):
        return []
    order = {pk: n for n, pk in enumerate(by_id)}
    found = list(
        open_start_times(
            treatment=treatment,
            practitioner_ids=list(by_id),
            window_start=max(start, now),
            window_end=end,
            ignore_appointment_id=ignore_appointment_id,
        )
    )
    found.sort(key=lambda item: (item[1], order[item[0]]))
    return [OpenTime(by_id[pk], moment.astimezone(zone)) for pk, moment in found]


def nearest_open_times(
    *,
    treatment: Treatment,
    practitioners: list[Practitioner],
    around: datetime,
    now: datetime,
    ignore_appointment_id: int | None = None,
    each: int = 3,
) -> list[OpenTime]:
    """The free starts closest to a time that could not be had: a few per practitioner."""
    times = open_times(
        treatment=treatment,
        practitioners=practitioners,
        start=around - timedelta(days=3),
        end=around + timedelta(days=7),
        now=now,
        ignore_appointment_id=ignore_appointment_id,
    )
    times.sort(key=lambda t: (abs(t.starts_at - around), t.starts_at))
    taken: dict[int, int] = defaultdict(int)
    nearest = []
    for option in times:
        if taken[option.practitioner.pk] < each:
            taken[option.practitioner.pk] += 1
            nearest.append(option)
    return sorted(nearest, key=lambda t: (t.starts_at, t.practitioner.sort_order))


def clash_with(
    *, practitioner: Practitioner, starts_at: datetime, treatment: Treatment, ignore_id=None
) -> AppointmentRequest | None:
    """The active appointment that holds time the given booking would need."""
    ends = starts_at + timedelta(
        minutes=treatment.duration_minutes + treatment.buffer_after_minutes
    )
    return (
        AppointmentRequest.objects.active()
        .filter(practitioner=practitioner)
        .overlapping(starts_at=starts_at, occupied_until=ends)
        .exclude(pk=ignore_id)
        .order_by("starts_at")
        .first()
    )


def clash_message(*, practitioner: Practitioner, clash: AppointmentRequest | None) -> str:
    """A clash, named by the other appointment's time, as a form error says it."""
    if clash is None:
        return _("%(practitioner)s already has an appointment at that time.") % {
            "practitioner": practitioner
        }
    zone = clinic_zone()
    starts, ends = clash.starts_at.astimezone(zone), clash.ends_at.astimezone(zone)
    message = _(
        "%(practitioner)s already has an appointment at that time: %(day)s, %(start)s–%(end)s."
    ) % {
        "practitioner": practitioner,
        "day": f"{starts:%a %-d %b}",
        "start": f"{starts:%H:%M}",
        "end": f"{ends:%H:%M}",
    }
    if clash.occupied_until > clash.ends_at:
        free = clash.occupied_until.astimezone(zone)
        message = message[:-1] + _(" (free again at %(time)s).") % {"time": f"{free:%H:%M}"}
    return message
