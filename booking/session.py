"""What the booking flow keeps in the patient's session, and for how long.

- The draft: the details typed on the details step and the review form's
  booking key. The review page (a GET after the details POST) shows it, and
  changing the treatment, practitioner or time from there comes back with
  everything filled in (never in the query string). Dropped after booking and
  ignored when older than the signed details may be. The details (safety
  answers included) are encrypted with a key derived from SECRET_KEY, so a
  copy of the session table shows nobody's health answers.
- The last booking made here: its key, choice and reference, so that Back to
  the review page (or the details page and Continue again) and another press
  finds that booking instead of making a second one.
- Grants: a manage link, once opened, is swapped for a grant in the session
  and a clean address, so the token leaves the address bar, the history and
  any Referer at once. A grant lasts BOOKING_MANAGE_SESSION_MINUTES from its
  last use.
"""

import base64
import json
import secrets
import time
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from booking.forms import DETAILS_MAX_AGE, details_data, details_from_data
from booking.services import PatientDetails
from booking.tokens import booking_key_new

DRAFT = "booking_draft"
_DRAFT_SALT = "booking.session-draft.v1"
LAST_BOOKING = "booking_last"
GRANTS = "booking_grants"
BINDING = "booking_binding"


@dataclass(frozen=True)
class Draft:
    details: PatientDetails
    started: float  # when the details form was first shown
    asked: bool  # already asked again once for a too-fast fill
    key: str  # the review form's single-use booking key


def draft_save(
    request, *, details: PatientDetails, started: float, asked: bool, choice_params: dict
) -> Draft:
    """Keep the details for the review page and for any change of choice after it.

    The same choice keeps its key: Continue pressed twice gives one key, and
    the time booked a moment ago from this session keeps the key that booked
    it, so that Back and Continue again on the details page finds that booking.
    """
    last = request.session.get(LAST_BOOKING)
    draft = request.session.get(DRAFT)
    if isinstance(last, dict) and last.get("choice") == choice_params and last.get("key"):
        key = str(last["key"])
    elif isinstance(draft, dict) and draft.get("choice") == choice_params and draft.get("key"):
        key = str(draft["key"])
    else:
        key = booking_key_new()
    _keep_briefly(request)
    request.session[DRAFT] = {
        "details": _sealed(details_data(details)),
        "started": started,
        "asked": asked,
        "key": key,
        "choice": choice_params,
        "saved": time.time(),
    }
    return Draft(details=details, started=started, asked=asked, key=key)


def _keep_briefly(request) -> None:
    """A patient's session ends with its use: the details typed (health answers
    included) do not wait for weeks in the session table for a booking that
    never came. Staff keep their own login's length."""
    if not getattr(getattr(request, "user", None), "is_authenticated", False):
        request.session.set_expiry(max(DETAILS_MAX_AGE, _grant_seconds()))


def draft_get(request) -> Draft | None:
    draft = request.session.get(DRAFT)
    if not isinstance(draft, dict) or time.time() - draft.get("saved", 0) > DETAILS_MAX_AGE:
        return None
    try:
        return Draft(
            details=details_from_data(_opened(draft["details"])),
            started=float(draft["started"]),
            asked=bool(draft.get("asked")),
            key=str(draft["key"]),
        )
    except (KeyError, TypeError, ValueError, InvalidToken):
        return None


def _fernet() -> MultiFernet:
    """Keys derived from SECRET_KEY (and its fallbacks, so a rotation loses no draft)."""
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_key_bytes(s))) for s in secrets_])


def _key_bytes(secret: str) -> bytes:
    return salted_hmac(_DRAFT_SALT, "key", secret=secret, algorithm="sha256").digest()


def _sealed(data: dict) -> str:
    return _fernet().encrypt(json.dumps(data).encode()).decode()


def _opened(sealed: str) -> dict:
    return json.loads(_fernet().decrypt(str(sealed).encode()))


ATTEMPT = "booking_attempt"


def attempt_save(request, *, data: dict, errors: dict, choice_params: dict) -> None:
    """A details form sent with mistakes: what was typed and what was wrong, for the GET
    page the POST redirects to (so Back never meets a "resubmit the form?" prompt)."""
    _keep_briefly(request)
    request.session[ATTEMPT] = {
        "sealed": _sealed({"data": data, "errors": errors}),
        "choice": choice_params,
        "saved": time.time(),
    }


def attempt_get(request, *, choice_params: dict) -> tuple[dict, dict] | None:
    """(data, errors) of the last attempt at these details, or None."""
    attempt = request.session.get(ATTEMPT)
    if not isinstance(attempt, dict) or attempt.get("choice") != choice_params:
        return None
    if time.time() - attempt.get("saved", 0) > DETAILS_MAX_AGE:
        return None
    try:
        opened = _opened(attempt["sealed"])
        return dict(opened["data"]), dict(opened["errors"])
    except (KeyError, TypeError, ValueError, InvalidToken):
        return None


def attempt_clear(request) -> None:
    request.session.pop(ATTEMPT, None)


def draft_clear(request) -> None:
    request.session.pop(DRAFT, None)


def binding(request) -> str:
    """A random value of this session's own, signed into the review form's details.

    A second press with details that have booked shows that booking only to
    the session that was shown the review page (or that booked it): the form's
    value copied into another browser opens nothing.
    """
    value = request.session.get(BINDING)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(16)
        _keep_briefly(request)
        request.session[BINDING] = value
    return value


def bound_here(request, value: str) -> bool:
    mine = request.session.get(BINDING)
    return bool(value) and isinstance(mine, str) and constant_time_compare(mine, value)


def last_booking_remember(request, *, key: str, choice_params: dict, reference: str) -> None:
    request.session[LAST_BOOKING] = {"key": key, "choice": choice_params, "reference": reference}


def last_booking(request) -> tuple[str, str] | None:
    """(key, reference) of the booking made last from this session."""
    last = request.session.get(LAST_BOOKING)
    if isinstance(last, dict) and last.get("key") and last.get("reference"):
        return str(last["key"]), str(last["reference"])
    return None


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
    _keep_briefly(request)
    request.session[GRANTS] = grants


def granted_keys(request) -> list[str]:
    """Every grant this session holds, expired or not (check each with granted())."""
    return [str(key) for key in (request.session.get(GRANTS) or {})]


def granted(request, reference: str) -> bool:
    """True while this session may see the appointment; each use extends the grant."""
    expires = (request.session.get(GRANTS) or {}).get(reference)
    if not isinstance(expires, int | float) or expires <= time.time():
        return False
    grant(request, reference)
    return True
