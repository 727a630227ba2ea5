"""What the booking flow keeps in the patient's session, and for how long.

- The draft: the details typed on the details step, so that changing the
  treatment, practitioner or time from "Check and book" comes back with
  everything filled in (never in the query string). Dropped after booking
  and ignored when older than the signed details may be.
- The last booking made here: its key and choice, so that resubmitting the
  details form after Back reviews with the same key and finds that booking.
- Grants: a manage link, once opened, is swapped for a grant in the session
  and a clean address, so the token leaves the address bar, the history and
  any Referer at once. A grant lasts BOOKING_MANAGE_SESSION_MINUTES from its
  last use.
"""

import time

from django.conf import settings

from booking.forms import DETAILS_MAX_AGE, details_data, details_from_data
from booking.services import PatientDetails

DRAFT = "booking_draft"
LAST_BOOKING = "booking_last"
GRANTS = "booking_grants"


def draft_save(request, *, details: PatientDetails, started: float) -> None:
    request.session[DRAFT] = {
        "details": details_data(details),
        "started": started,
        "saved": time.time(),
    }


def draft_get(request) -> tuple[PatientDetails, float] | None:
    draft = request.session.get(DRAFT)
    if not isinstance(draft, dict) or time.time() - draft.get("saved", 0) > DETAILS_MAX_AGE:
        return None
    try:
        return details_from_data(draft["details"]), float(draft["started"])
    except (KeyError, TypeError, ValueError):
        return None


def draft_clear(request) -> None:
    request.session.pop(DRAFT, None)


def last_booking_remember(request, *, key: str, choice_params: dict, reference: str) -> None:
    request.session[LAST_BOOKING] = {"key": key, "choice": choice_params, "reference": reference}


def last_booking_reference(request) -> str:
    last = request.session.get(LAST_BOOKING)
    return str(last.get("reference") or "") if isinstance(last, dict) else ""


def last_booking_key(request, *, choice_params: dict) -> str:
    """The key that already booked exactly this choice from this session, or ""."""
    last = request.session.get(LAST_BOOKING)
    if isinstance(last, dict) and last.get("choice") == choice_params:
        return str(last.get("key") or "")
    return ""


def _grant_seconds() -> int:
    return settings.BOOKING_MANAGE_SESSION_MINUTES * 60


def grant(request, reference: str) -> None:
    now = time.time()
    grants = {
        ref: expires
        for ref, expires in (request.session.get(GRANTS) or {}).items()
        if isinstance(expires, int | float) and expires > now
    }
    grants[reference] = now + _grant_seconds()
    request.session[GRANTS] = grants


def granted(request, reference: str) -> bool:
    """True while this session may see the appointment; each use extends the grant."""
    expires = (request.session.get(GRANTS) or {}).get(reference)
    if not isinstance(expires, int | float) or expires <= time.time():
        return False
    grant(request, reference)
    return True
