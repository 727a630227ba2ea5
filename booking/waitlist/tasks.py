"""The waitlist's background work: matching freed time, and expiring offers.

Services that free time (a cancellation, a decline, a move, an unblocked slot,
new hours) call time_freed(): the matching is queued only once their change
commits, so the freed time is really free, and runs in the worker, so a staff
action never waits for it. Expiry is queued for the moment the first offer
of a round closes; `run_daily` does the same every hour as a safety net.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from booking.models import Notification, NotificationKind, WaitlistOffer
from booking.waitlist.offers import entries_end, offers_expire, offers_make

# Link e-mails ("find my booking") hold only an address; their rows go after this long.
LINK_EMAILS_KEPT_DAYS = 30


def time_freed(*, practitioner_id: int, starts_at: datetime, ends_at: datetime) -> None:
    """Offer this practitioner's time in [starts_at, ends_at) to the waitlist after commit."""

    def enqueue():
        offer_freed_time.enqueue(
            practitioner_id=practitioner_id,
            starts_at=starts_at.isoformat(),
            ends_at=ends_at.isoformat(),
        )

    # robust: the change has committed; a queue outage must not fail it (staff
    # can still offer the time from the waitlist page).
    transaction.on_commit(enqueue, robust=True)


def offers_expiry_queue(offers: list[WaitlistOffer]) -> None:
    """Expire these offers (and move their time on) when the first of them closes."""
    if not offers or not expire_offers.get_backend().supports_defer:
        return  # run_daily expires them within the hour
    expire_offers.using(run_after=min(offer.expires_at for offer in offers)).enqueue()


def offers_make_now(**kwargs) -> list[WaitlistOffer]:
    """offers_make(), with the expiry of the new offers queued."""
    offers = offers_make(**kwargs)
    transaction.on_commit(lambda: offers_expiry_queue(offers), robust=True)
    return offers


def waitlist_refresh(*, now: datetime) -> dict[str, int]:
    """Expire offers past their time and offer those times to the next people in line;
    end entries whose dates have passed; forget old "find my booking" addresses."""
    made = []
    expired, times = offers_expire(now=now)
    for practitioner_id, starts_at, until in times:
        made += offers_make_now(
            now=now, window_start=starts_at, window_end=until, practitioner_ids=[practitioner_id]
        )
    pruned, _ = Notification.objects.filter(
        kind=NotificationKind.BOOKING_LINKS,
        created_at__lt=now - timedelta(days=LINK_EMAILS_KEPT_DAYS),
    ).delete()
    return {
        "expired": expired,
        "offered": len(made),
        "ended": entries_end(now=now),
        "pruned": pruned,
    }


@task
def offer_freed_time(*, practitioner_id: int, starts_at: str, ends_at: str) -> dict:
    offers = offers_make_now(
        now=timezone.now(),
        window_start=datetime.fromisoformat(starts_at),
        window_end=datetime.fromisoformat(ends_at),
        practitioner_ids=[practitioner_id],
    )
    return {"offers": len(offers)}


@task
def expire_offers() -> dict:
    return waitlist_refresh(now=timezone.now())
