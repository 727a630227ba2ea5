"""The waitlist's answers to what the booking core announces (booking/signals.py)."""

from booking.waitlist.offers import offers_taken, offers_withdraw, waitlist_booked
from booking.waitlist.tasks import time_freed


def offer_freed_time(sender, *, practitioner_id, starts_at, ends_at, **kwargs) -> None:
    time_freed(practitioner_id=practitioner_id, starts_at=starts_at, ends_at=ends_at)


def close_taken_offers(sender, *, practitioner_id, starts_at, occupied_until, now, **kwargs):
    offers_taken(
        practitioner_id=practitioner_id, starts_at=starts_at, occupied_until=occupied_until, now=now
    )


def leave_after_booking(sender, *, appointment, now, **kwargs) -> None:
    waitlist_booked(appointment=appointment, now=now)


def withdraw_offers(sender, *, entry_ids, now, **kwargs) -> None:
    offers_withdraw(entry_ids=entry_ids, now=now)
