"""The secrets behind private links and the review form, kept out of the database.

The manage link's token is an HMAC of the appointment's reference under
SECRET_KEY, so the e-mail worker can write it into every e-mail without it
being stored anywhere; the database keeps only its SHA-256 to find the
appointment by. A copy of the database alone opens nothing. Rotating
SECRET_KEY (with the old key in SECRET_KEY_FALLBACKS) keeps old links
working; once the old key is dropped, the links made with it stop.

The waitlist's private links (to an entry, and to an offer's claim page)
are made the same way under their own salts, so one kind of token never
opens another kind of page. A claim's booking key is derived from the offer
too: pressing "Book" twice on one offer finds the booking the first press made.

The booking key is random and only its SHA-256 is stored.
"""

import base64
import hashlib
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_MANAGE_SALT = "booking.manage-link.v1"
WAITLIST_SALT = "booking.waitlist-link.v1"
OFFER_SALT = "booking.offer-link.v1"
_OFFER_KEY_SALT = "booking.offer-booking-key.v1"


def digest(value: str) -> str:
    """SHA-256 in hex: what the database stores of a token or key."""
    return hashlib.sha256(value.encode()).hexdigest()


def _token(salt: str, reference: str, secret: str) -> str:
    mac = salted_hmac(salt, reference, secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()  # 43 characters, 256 bits


def private_token_new(reference: str, *, salt: str = _MANAGE_SALT) -> str:
    return _token(salt, reference, settings.SECRET_KEY)


def private_token_for(*, reference: str, stored_hash: str, salt: str = _MANAGE_SALT) -> str:
    """The token of a private link, or "" when no current key made it.

    Links from before the tokens were derived (stored hashed by a migration)
    or made with a key since retired cannot be written again.
    """
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        token = _token(salt, reference, secret)
        if constant_time_compare(digest(token), stored_hash):
            return token
    return ""


def offer_booking_key(reference: str) -> str:
    """The booking key of an offer's claim: the same for every press on that offer."""
    return _token(_OFFER_KEY_SALT, reference, settings.SECRET_KEY)


# Characters that cannot be confused when read aloud or typed from an e-mail.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def reference_new() -> str:
    """A short code a patient can read out on the phone: "K7QM-3XPA"."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def booking_key_new() -> str:
    return secrets.token_urlsafe(32)
