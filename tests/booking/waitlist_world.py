"""Helpers for the waitlist tests: people joining, times booked and freed, offers made.

Built on booking_world's clinic (Maya and Tom; dry needling, follow-up, massage).
"""

from datetime import datetime, timedelta

from booking.models import WaitlistEntry, WaitlistOffer
from booking.services import appointment_book
from booking.tokens import OFFER_SALT, WAITLIST_SALT, private_token_for
from booking.waitlist.offers import offers_make
from booking.waitlist.services import waitlist_join
from tests.booking.booking_world import at, patient

ALL_DAY = (True, True, True)
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def join(
    world,
    name: str,
    *,
    now: datetime,
    treatment=None,
    practitioner=None,
    first_day=None,
    last_day=None,
    times=ALL_DAY,
    owned_references=(),
    **details,
) -> WaitlistEntry:
    email = details.pop("email", f"{name.split()[0].lower()}@example.com")
    entry, _created = waitlist_join(
        treatment=treatment or world.follow_up,
        practitioner=practitioner,
        first_day=first_day or world.day,
        last_day=last_day or first_day or world.day,
        times_of_day=times,
        details=patient(name=name, email=email, answers={}, **details),
        now=now,
        privacy_notice_version="2026-11",
        owned_references=owned_references,
    )
    return entry


def book(world, now, hour, minute=0, *, practitioner=None, treatment=None, **details):
    return appointment_book(
        treatment=treatment or world.follow_up,
        practitioner=practitioner or world.tom,
        starts_at=at(world.day, hour, minute),
        patient=patient(**details),
        now=now,
        privacy_notice_version="2026-11",
    )


def offer_time(world, now, hour, minute=0, *, practitioner=None, minutes=35):
    """Offer Tom's (or another practitioner's) time at hour:minute as if it had just come free."""
    starts_at = at(world.day, hour, minute)
    return offers_make(
        now=now,
        window_start=starts_at,
        window_end=starts_at + timedelta(minutes=minutes),
        practitioner_ids=[(practitioner or world.tom).pk],
    )


def entry_token(entry: WaitlistEntry) -> str:
    return private_token_for(
        reference=entry.reference, stored_hash=entry.token_hash, salt=WAITLIST_SALT
    )


def offer_token(offer: WaitlistOffer) -> str:
    return private_token_for(
        reference=offer.reference, stored_hash=offer.token_hash, salt=OFFER_SALT
    )
