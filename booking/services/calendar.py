"""A practitioner's private calendar feed link: made, replaced, removed."""

import secrets
from datetime import datetime

from django.db import transaction

from booking.errors import (
    BookingError,
)
from booking.models import (
    Practitioner,
)
from booking.tokens import digest

# --- The practitioner's calendar feed ------------------------------------------------


@transaction.atomic
def practitioner_calendar_link_new(*, practitioner_id: int, now: datetime) -> str:
    """Make a new private feed token (the old link stops working); returns it once."""
    token = secrets.token_urlsafe(32)
    updated = Practitioner.objects.filter(pk=practitioner_id).update(
        calendar_token_hash=digest(token), calendar_token_created_at=now
    )
    if not updated:
        raise BookingError("That practitioner no longer exists.")
    return token


@transaction.atomic
def practitioner_calendar_link_remove(*, practitioner_id: int) -> None:
    """Switch the practitioner's calendar feed off."""
    Practitioner.objects.filter(pk=practitioner_id).update(
        calendar_token_hash="", calendar_token_created_at=None
    )
