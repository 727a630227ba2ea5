"""The bookable time: slots generated from weekly hours and time off, blocked or added by hand."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from booking import signals
from booking.availability import (
    clinic_zone,
    closed_days,
    local_instant,
)
from booking.caching import on_commit_availability_changed
from booking.errors import (
    BookingError,
    violated_constraint,
)
from booking.intervals import Interval, merge, subtract
from booking.locks import Lock, lock_transaction
from booking.models import (
    AppointmentRequest,
    AvailabilityException,
    Practitioner,
    TimeSlot,
    WeeklyAvailability,
)
from booking.services.rules import GRANULARITY

# Slots -----------------------------------------------------------------------

# Serialises slot generation (the daily command and an admin click at once).


def _wanted_intervals(
    *, practitioner_ids: list[int], first: date, last: date, zone: ZoneInfo
) -> dict[int, list[Interval]]:
    """Each practitioner's working time in [first, last] from week, exceptions, closures."""
    weekly: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    for row in WeeklyAvailability.objects.filter(practitioner_id__in=practitioner_ids):
        weekly[row.practitioner_id][row.weekday].append((row.starts_at, row.ends_at))
    exceptions: dict[tuple[int, date], list[AvailabilityException]] = defaultdict(list)
    for row in AvailabilityException.objects.filter(
        practitioner_id__in=practitioner_ids, date__gte=first, date__lte=last
    ):
        exceptions[(row.practitioner_id, row.date)].append(row)
    closed = closed_days(first=first, last=last)

    wanted: dict[int, list[Interval]] = {}
    for practitioner_id in practitioner_ids:
        intervals: list[Interval] = []
        day = first
        while day <= last:
            if day not in closed:
                local = list(weekly[practitioner_id][day.weekday()])
                todays = exceptions.get((practitioner_id, day), [])
                local.extend((e.starts_at, e.ends_at) for e in todays if e.kind == "extra")
                day_intervals = merge(
                    [(local_instant(day, s, zone), local_instant(day, e, zone)) for s, e in local]
                )
                off = []
                for exception in todays:
                    if exception.kind != "time_off":
                        continue
                    if exception.starts_at is None:
                        off.append(
                            (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
                        )
                    else:
                        off.append(
                            (
                                local_instant(day, exception.starts_at, zone),
                                local_instant(day, exception.ends_at, zone),
                            )
                        )
                intervals.extend(i for i in subtract(day_intervals, off) if i[1] > i[0])
            day += timedelta(days=1)
        wanted[practitioner_id] = intervals
    return wanted


@transaction.atomic
def slots_generate(
    *, start: date, days: int, now: datetime, practitioners: Iterable[Practitioner] | None = None
) -> int:
    """Materialise bookable slots from the availability for `days` days from `start`.

    Idempotent: a second run with the same availability changes nothing. Slots
    that hold an active appointment, staff's manual slots and blocked slots are
    never removed or moved; new time is cut around them. Returns how many
    slots were created.
    """
    lock_transaction(Lock.SLOT_GENERATION)
    zone = clinic_zone()
    first, last = start, start + timedelta(days=days - 1)
    window = (
        datetime.combine(first, time(0), tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone),
    )
    if practitioners is None:
        practitioner_ids = list(Practitioner.objects.active().values_list("pk", flat=True))
    else:
        practitioner_ids = [p.pk for p in practitioners]
    wanted = _wanted_intervals(practitioner_ids=practitioner_ids, first=first, last=last, zone=zone)
    existing, booked = _slots_and_bookings_near(practitioner_ids=practitioner_ids, window=window)

    def is_protected(slot: TimeSlot) -> bool:
        if slot.source == TimeSlot.Source.MANUAL or slot.is_blocked or slot.starts_at < now:
            return True
        if not (window[0] <= slot.starts_at and slot.ends_at <= window[1]):
            return True  # outside this run's window: not ours to judge
        return any(s < slot.ends_at and e > slot.starts_at for s, e in booked[slot.practitioner_id])

    to_delete, to_create = [], []
    for practitioner_id in practitioner_ids:
        mine = [slot for slot in existing if slot.practitioner_id == practitioner_id]
        kept = [(slot.starts_at, slot.ends_at) for slot in mine if is_protected(slot)]
        target = {
            (s, e)
            for s, e in subtract(wanted[practitioner_id], kept)
            if e - s >= GRANULARITY and e > now
        }
        deleted, created = _slot_changes(
            practitioner_id=practitioner_id,
            slots=[slot for slot in mine if not is_protected(slot)],
            target=target,
        )
        to_delete += deleted
        to_create += created
    if to_delete:
        TimeSlot.objects.filter(pk__in=to_delete).delete()
    TimeSlot.objects.bulk_create(to_create)
    if to_delete or to_create:
        on_commit_availability_changed(*practitioner_ids)
    _announce_new_time(to_create)
    return len(to_create)


def _slots_and_bookings_near(
    *, practitioner_ids: list[int], window: Interval
) -> tuple[list[TimeSlot], dict[int, list[Interval]]]:
    """The slots and the booked times within a day of the window, per practitioner."""
    near = {"starts_at__lt": window[1] + timedelta(days=1)}
    near["ends_at__gt"] = window[0] - timedelta(days=1)
    existing = list(TimeSlot.objects.filter(practitioner_id__in=practitioner_ids, **near))
    booked = defaultdict(list)
    for appointment in AppointmentRequest.objects.active().filter(
        practitioner_id__in=practitioner_ids, **near
    ):
        booked[appointment.practitioner_id].append((appointment.starts_at, appointment.ends_at))
    return existing, booked


def _slot_changes(
    *, practitioner_id: int, slots: list[TimeSlot], target: set[Interval]
) -> tuple[list[int], list[TimeSlot]]:
    """Which of the practitioner's changeable slots go, and which new ones make up `target`."""
    have, to_delete = set(), []
    for slot in slots:
        key = (slot.starts_at, slot.ends_at)
        if key in target and key not in have:
            have.add(key)
        else:
            to_delete.append(slot.pk)
    to_create = [
        TimeSlot(
            practitioner_id=practitioner_id,
            starts_at=s,
            ends_at=e,
            source=TimeSlot.Source.GENERATED,
        )
        for s, e in sorted(target - have)
    ]
    return to_delete, to_create


def _announce_new_time(created: list[TimeSlot]) -> None:
    """New working time (hours added, time off removed, a new day in the horizon) is
    free time the waitlist may be waiting for."""
    new_time: dict[int, list[TimeSlot]] = defaultdict(list)
    for slot in created:
        new_time[slot.practitioner_id].append(slot)
    for practitioner_id, slots in new_time.items():
        signals.time_freed.send(
            sender=None,
            practitioner_id=practitioner_id,
            starts_at=min(slot.starts_at for slot in slots),
            ends_at=max(slot.ends_at for slot in slots),
        )


@transaction.atomic
def slot_set_blocked(*, slot_id: int, blocked: bool) -> TimeSlot:
    """Stop (or resume) offering a slot; appointments already in it stay booked."""
    slot = TimeSlot.objects.select_for_update().get(pk=slot_id)
    if slot.is_blocked != blocked:
        slot.is_blocked = blocked
        slot.save(update_fields=["is_blocked"])
        on_commit_availability_changed(slot.practitioner_id)
        if not blocked:
            signals.time_freed.send(
                sender=None,
                practitioner_id=slot.practitioner_id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
            )
    return slot


@transaction.atomic
def slot_add_manual(
    *, practitioner: Practitioner, starts_at: datetime, ends_at: datetime
) -> TimeSlot:
    """Add bookable time by hand, for example an extra evening session."""
    if ends_at <= starts_at:
        raise BookingError("The slot must end after it starts.")
    try:
        with transaction.atomic():
            slot = TimeSlot.objects.create(
                practitioner=practitioner,
                starts_at=starts_at,
                ends_at=ends_at,
                source=TimeSlot.Source.MANUAL,
            )
        on_commit_availability_changed(practitioner.pk)
        signals.time_freed.send(
            sender=None, practitioner_id=practitioner.pk, starts_at=starts_at, ends_at=ends_at
        )
        return slot
    except IntegrityError as error:
        if violated_constraint(error) == "time_slot_no_overlap":
            raise BookingError(
                f"This time overlaps another slot of {practitioner.name}; "
                "change or unblock that slot instead."
            ) from error
        raise
