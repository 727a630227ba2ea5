"""Who gets a freed time: waiting patients matched to free starts, their offers, and expiry.

A time that comes free is offered to up to `waitlist_offer_count` people at
once (the clinic record's setting), earliest joiners first. An offer is not
a hold: the first claim books through the normal booking service, and the
booking closes every other offer of that time. An offer is open for
`waitlist_offer_minutes`, and never later than `waitlist_offer_closes_minutes`
before the time starts; once it expires the time goes to the next people in
line. Nobody is offered a time they let expire again, nor a time that
clashes with an appointment or an open offer they already have.

This module imports no booking service: the waitlist's receivers call it when
the booking core announces booked time (booking/signals.py), and queue it
(waitlist.tasks) when time frees.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from booking.availability import (
    booking_window,
    clinic_zone,
    open_start_times,
    request_confirmable_from,
)
from booking.locks import Lock, lock_transaction
from booking.models import (
    AppointmentRequest,
    Practitioner,
    WaitlistEntry,
    WaitlistEntryStatus,
    WaitlistOffer,
    WaitlistOfferStatus,
    email_key,
)
from booking.notifications import queue_offer_notifications
from booking.picker import period_of
from booking.selectors import OfferedTime, available_start_times
from booking.tokens import OFFER_SALT, digest, private_token_new, reference_new
from clinic.identity import get_clinic

# Serialises matching, so two rounds at once never offer a time to more people than allowed.

# An offer needs at least this long to be claimed, or it is not worth an e-mail.
SHORTEST_OFFER = timedelta(minutes=10)

# Which of an entry's times of day a start falls in (selectors.PERIODS).
PERIOD_FIELDS = {"Morning": "mornings", "Afternoon": "afternoons", "Evening": "evenings"}


@dataclass(frozen=True)
class PlannedOffer:
    """A free start, and the waiting patient it would go to."""

    entry: WaitlistEntry
    practitioner_id: int
    starts_at: datetime
    ends_at: datetime
    occupied_until: datetime
    expires_at: datetime


def offer_expiry(*, starts_at: datetime, now: datetime, clinic) -> datetime | None:
    """When an offer of `starts_at` made now would close; None if too late to offer."""
    expires = min(
        now + timedelta(minutes=clinic.waitlist_offer_minutes),
        starts_at - timedelta(minutes=clinic.waitlist_offer_closes_minutes),
    )
    return expires if expires - now >= SHORTEST_OFFER else None


def _local_day(moment: datetime):
    return moment.astimezone(clinic_zone()).date()


def _wants(entry: WaitlistEntry, practitioner_id: int, starts_at: datetime) -> bool:
    """Does the entry's practitioner, days and times of day cover this start?"""
    if entry.practitioner_id is not None and entry.practitioner_id != practitioner_id:
        return False
    if not entry.first_day <= _local_day(starts_at) <= entry.last_day:
        return False
    return getattr(entry, PERIOD_FIELDS[period_of(starts_at)])


def _overlaps(start: datetime, end: datetime, spans) -> int:
    return sum(1 for other_start, other_end in spans if other_start < end and other_end > start)


def offer_plan(
    *,
    now: datetime,
    window_start: datetime,
    window_end: datetime,
    practitioner_ids: list[int] | None = None,
    only_start: datetime | None = None,
) -> list[PlannedOffer]:
    """Who would be offered which free start that overlaps the window (reads only).

    Every waiting entry gets at most one start: the one nearest the window's
    start (the freed time itself, when it still fits) that suits it, among
    starts still short of the clinic's number of open offers. A constant
    number of queries: entries, practitioners, existing offers and
    appointments, and two per treatment waited for.
    """
    clinic = get_clinic()
    earliest, latest = booking_window(now=now)
    window_start, window_end = max(window_start, now), min(window_end, latest)
    if window_end <= window_start:
        return []
    entries = _waiting_entries(
        now=now,
        window_start=window_start,
        window_end=window_end,
        practitioner_ids=practitioner_ids,
    )
    if not entries:
        return []
    treatments = {entry.treatment_id: entry.treatment for entry in entries}
    offering, order = _who_offers(treatments=treatments, practitioner_ids=practitioner_ids)
    # Read once (it counts opening hours past closures): requests need this much notice.
    confirmable = (
        request_confirmable_from(now=now)
        if any(treatment.requires_confirmation for treatment in treatments.values())
        else None
    )
    starts = {
        treatment.pk: _free_starts(
            treatment=treatment,
            practitioner_ids=offering[treatment.pk],
            order=order,
            lowest=max(earliest, confirmable) if treatment.requires_confirmation else earliest,
            window=(window_start, window_end),
            only_start=only_start,
            now=now,
            clinic=clinic,
        )
        for treatment in treatments.values()
        if offering[treatment.pk]
    }
    spans = [
        (moment, moment + _held(treatments[treatment_id]))
        for treatment_id, found in starts.items()
        for moment, _practitioner_id in found
    ]
    if not spans:
        return []
    busy = _Busy.read(
        entries=entries,
        low=min(s for s, _e in spans),
        high=max(e for _s, e in spans),
        now=now,
    )
    return _assign(entries=entries, starts=starts, busy=busy, now=now, clinic=clinic)


def _held(treatment) -> timedelta:
    """How long an appointment of the treatment holds its practitioner, buffer included."""
    return timedelta(minutes=treatment.duration_minutes + treatment.buffer_after_minutes)


def _waiting_entries(
    *,
    now: datetime,
    window_start: datetime,
    window_end: datetime,
    practitioner_ids: list[int] | None,
) -> list[WaitlistEntry]:
    """The places waiting for a day of the window, first come first served."""
    entries = WaitlistEntry.objects.waiting(today=_local_day(now)).filter(
        first_day__lte=_local_day(window_end),
        last_day__gte=_local_day(window_start),
        treatment__is_active=True,
    )
    if practitioner_ids is not None:
        entries = entries.filter(
            Q(practitioner_id__in=practitioner_ids) | Q(practitioner__isnull=True)
        )
    return list(entries.select_related("treatment").order_by("created_at", "pk"))


def _who_offers(
    *, treatments: dict, practitioner_ids: list[int] | None
) -> tuple[dict[int, list[int]], dict[int, tuple]]:
    """Per treatment, the active practitioners who give it; and their order on the site."""
    offering: dict[int, list[int]] = defaultdict(list)
    pairs = Practitioner.treatments.through.objects.filter(
        treatment_id__in=treatments, practitioner__is_active=True
    )
    if practitioner_ids is not None:
        pairs = pairs.filter(practitioner_id__in=practitioner_ids)
    order = {}
    for treatment_id, practitioner_id, sort_order, name in pairs.values_list(
        "treatment_id", "practitioner_id", "practitioner__sort_order", "practitioner__name"
    ):
        offering[treatment_id].append(practitioner_id)
        order[practitioner_id] = (sort_order, name)
    return offering, order


def _free_starts(
    *,
    treatment,
    practitioner_ids: list[int],
    order: dict[int, tuple],
    lowest: datetime,
    window: tuple[datetime, datetime],
    only_start: datetime | None,
    now: datetime,
    clinic,
) -> list[tuple[datetime, int]]:
    """The treatment's open starts whose time overlaps the window, nearest its start first."""
    window_start, window_end = window
    held = _held(treatment)
    lowest = max(window_start - held, lowest)
    found = [
        (moment, practitioner_id)
        for practitioner_id, moment in open_start_times(
            treatment=treatment,
            practitioner_ids=practitioner_ids,
            window_start=lowest,
            window_end=window_end,
        )
        if moment + held > window_start
        and (only_start is None or moment == only_start)
        and offer_expiry(starts_at=moment, now=now, clinic=clinic) is not None
    ]
    # The freed start itself first, then the starts nearest to it.
    found.sort(key=lambda pair: (abs(pair[0] - window_start), pair[0], order[pair[1]]))
    return found


@dataclass
class _Busy:
    """What stands in the way of an offer between `low` and `high`."""

    by_practitioner: dict[int, list[tuple[datetime, datetime]]]  # open offers
    by_entry: dict[int, list[tuple[datetime, datetime]]]  # open offers
    let_expire: dict[tuple[int, int], list[tuple[datetime, datetime]]]
    booked_by_email: dict[str, list[tuple[datetime, datetime]]]

    @classmethod
    def read(cls, *, entries: list[WaitlistEntry], low: datetime, high: datetime, now: datetime):
        busy = cls(defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list))
        for entry_id, practitioner_id, starts_at, until in (
            WaitlistOffer.objects.open(now=now)
            .overlapping(starts_at=low, occupied_until=high)
            .values_list("entry_id", "practitioner_id", "starts_at", "occupied_until")
        ):
            busy.by_practitioner[practitioner_id].append((starts_at, until))
            busy.by_entry[entry_id].append((starts_at, until))
        # A time someone let expire is not offered to them again, not even a few minutes
        # earlier or later; a time taken by someone else may be, should it come free again.
        for entry_id, practitioner_id, starts_at, until in (
            WaitlistOffer.objects.filter(
                entry_id__in=[entry.pk for entry in entries],
                status=WaitlistOfferStatus.EXPIRED,
            )
            .overlapping(starts_at=low, occupied_until=high)
            .values_list("entry_id", "practitioner_id", "starts_at", "occupied_until")
        ):
            busy.let_expire[(entry_id, practitioner_id)].append((starts_at, until))
        for email, starts_at, until in (
            AppointmentRequest.objects.active()
            .overlapping(starts_at=low, occupied_until=high)
            .filter(email__in={entry.email for entry in entries})
            .values_list("email", "starts_at", "occupied_until")
        ):
            busy.booked_by_email[email_key(email)].append((starts_at, until))
        return busy

    def blocks(self, entry: WaitlistEntry, practitioner_id: int, moment, until, limit) -> bool:
        return bool(
            _overlaps(moment, until, self.let_expire[(entry.pk, practitioner_id)])
            or _overlaps(moment, until, self.by_entry[entry.pk])
            or _overlaps(moment, until, self.booked_by_email[entry.email])
            or _overlaps(moment, until, self.by_practitioner[practitioner_id]) >= limit
        )


def _assign(
    *,
    entries: list[WaitlistEntry],
    starts: dict[int, list[tuple[datetime, int]]],
    busy: _Busy,
    now: datetime,
    clinic,
) -> list[PlannedOffer]:
    """Each entry in turn takes the first start that suits it and nothing blocks."""
    plan = []
    for entry in entries:
        treatment = entry.treatment
        duration = timedelta(minutes=treatment.duration_minutes)
        held = _held(treatment)
        for moment, practitioner_id in starts.get(treatment.pk, []):
            until = moment + held
            if not _wants(entry, practitioner_id, moment) or busy.blocks(
                entry, practitioner_id, moment, until, clinic.waitlist_offer_count
            ):
                continue
            plan.append(
                PlannedOffer(
                    entry=entry,
                    practitioner_id=practitioner_id,
                    starts_at=moment,
                    ends_at=moment + duration,
                    occupied_until=until,
                    expires_at=offer_expiry(starts_at=moment, now=now, clinic=clinic),
                )
            )
            busy.by_practitioner[practitioner_id].append((moment, until))
            busy.by_entry[entry.pk].append((moment, until))
            break
    return plan


@transaction.atomic
def offers_make(
    *,
    now: datetime,
    window_start: datetime,
    window_end: datetime,
    practitioner_ids: list[int] | None = None,
    only_start: datetime | None = None,
    by=None,
) -> list[WaitlistOffer]:
    """Offer the free starts overlapping the window to waiting patients, and e-mail them.

    Safe to run twice or at once: one round at a time (an advisory lock),
    and a round never offers a time to more people than the clinic allows
    nor to anyone who was offered it before.
    """
    lock_transaction(Lock.WAITLIST_MATCH)
    plan = offer_plan(
        now=now,
        window_start=window_start,
        window_end=window_end,
        practitioner_ids=practitioner_ids,
        only_start=only_start,
    )
    offers = []
    for planned in plan:
        reference = reference_new()
        offers.append(
            WaitlistOffer(
                reference=reference,
                token_hash=digest(private_token_new(reference, salt=OFFER_SALT)),
                entry=planned.entry,
                practitioner_id=planned.practitioner_id,
                starts_at=planned.starts_at,
                ends_at=planned.ends_at,
                occupied_until=planned.occupied_until,
                created_at=now,
                expires_at=planned.expires_at,
                offered_by=by if getattr(by, "is_authenticated", False) else None,
            )
        )
    WaitlistOffer.objects.bulk_create(offers)
    queue_offer_notifications(offers)
    return offers


def offers_taken(
    *, practitioner_id: int, starts_at: datetime, occupied_until: datetime, now: datetime
) -> int:
    """Close the open offers of time that has just been booked: someone was quicker."""
    return (
        WaitlistOffer.objects.filter(
            status=WaitlistOfferStatus.OPEN, practitioner_id=practitioner_id
        )
        .overlapping(starts_at=starts_at, occupied_until=occupied_until)
        .update(status=WaitlistOfferStatus.TAKEN, closed_at=now)
    )


def waitlist_booked(*, appointment: AppointmentRequest, now: datetime) -> None:
    """After a booking: its patient leaves the waitlist for its treatment, its time's offers close.

    The patient is known by the booking's patient record or its e-mail
    address, so a booking by phone takes them off the list too.
    """
    who = Q(patient_id=appointment.patient_id) if appointment.patient_id else Q(pk__in=[])
    if appointment.email:
        who |= Q(email=email_key(appointment.email))
    leaving = WaitlistEntry.objects.filter(
        who, status=WaitlistEntryStatus.WAITING, treatment_id=appointment.treatment_id
    )
    ids = list(leaving.values_list("pk", flat=True))
    if ids:
        WaitlistEntry.objects.filter(pk__in=ids).update(
            status=WaitlistEntryStatus.BOOKED, closed_at=now, appointment=appointment
        )
        WaitlistOffer.objects.filter(entry_id__in=ids, status=WaitlistOfferStatus.OPEN).update(
            status=WaitlistOfferStatus.WITHDRAWN, closed_at=now
        )
    offers_taken(
        practitioner_id=appointment.practitioner_id,
        starts_at=appointment.starts_at,
        occupied_until=appointment.occupied_until,
        now=now,
    )


def offers_withdraw(*, entry_ids: list[int], now: datetime) -> int:
    """Close the open offers of entries that are no longer waiting."""
    return WaitlistOffer.objects.filter(
        entry_id__in=entry_ids, status=WaitlistOfferStatus.OPEN
    ).update(status=WaitlistOfferStatus.WITHDRAWN, closed_at=now)


@transaction.atomic
def offers_expire(*, now: datetime) -> tuple[int, list[tuple[int, datetime, datetime]]]:
    """Mark offers past their time expired.

    Returns how many expired, and their times that are still ahead, to be
    offered to the next people in line.
    """
    due = WaitlistOffer.objects.select_for_update(skip_locked=True).filter(
        status=WaitlistOfferStatus.OPEN, expires_at__lte=now
    )
    rows = list(due.values_list("pk", "practitioner_id", "starts_at", "occupied_until"))
    if rows:
        WaitlistOffer.objects.filter(pk__in=[row[0] for row in rows]).update(
            status=WaitlistOfferStatus.EXPIRED, closed_at=now
        )
    times = {(pid, starts, until) for _pk, pid, starts, until in rows if starts > now}
    return len(rows), sorted(times)


@transaction.atomic
def entries_end(*, now: datetime) -> int:
    """Entries whose last day has passed leave the list (their offers close too)."""
    today = _local_day(now)
    ids = list(
        WaitlistEntry.objects.filter(
            status=WaitlistEntryStatus.WAITING, last_day__lt=today
        ).values_list("pk", flat=True)
    )
    if ids:
        WaitlistEntry.objects.filter(pk__in=ids).update(
            status=WaitlistEntryStatus.ENDED, closed_at=now
        )
        offers_withdraw(entry_ids=ids, now=now)
    return len(ids)


def free_times_for(entry: WaitlistEntry, *, now: datetime, limit: int = 6) -> list[OfferedTime]:
    """Times free right now that suit a waiting entry: no need to wait for those."""
    zone = clinic_zone()
    today = now.astimezone(zone).date()
    first = max(entry.first_day, today)
    if entry.last_day < first:
        return []
    confirmable = (
        request_confirmable_from(now=now) if entry.treatment.requires_confirmation else now
    )
    found = []
    by_day = available_start_times(
        treatment=entry.treatment,
        practitioner=entry.practitioner,
        start=first,
        days=(entry.last_day - first).days + 1,
        now=now,
    )
    for day in sorted(by_day):
        for offered in by_day[day]:
            if offered.starts_at >= confirmable and _wants(
                entry, offered.practitioner.pk, offered.starts_at
            ):
                found.append(offered)
                if len(found) == limit:
                    return found
    return found
