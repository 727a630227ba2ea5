"""The secrets behind private links and the review form, kept out of the database.

The manage link's token is an HMAC of the appointment's reference under
SECRET_KEY, so the e-mail worker can write it into every e-mail without it
being stored anywhere; the database keeps only its SHA-256 to find the
appointment by. A copy of the database alone opens nothing. Rotating
SECRET_KEY (with the old key in SECRET_KEY_FALLBACKS) keeps old links
working; once the old key is dropped, the links made with it stop.

The booking key is random and only its SHA-256 is stored.
"""

import base64
import hashlib
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_MANAGE_SALT = "booking.manage-link.v1"


def digest(value: str) -> str:
    """SHA-256 in hex: what the database stores of a token or key."""
    return hashlib.sha256(value.encode()).hexdigest()


def _manage_token(reference: str, secret: str) -> str:
    mac = salted_hmac(_MANAGE_SALT, reference, secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()  # 43 characters, 256 bits


def manage_token_new(reference: str) -> str:
    return _manage_token(reference, settings.SECRET_KEY)


def manage_token_for(*, reference: str, stored_hash: str) -> str:
    """The token of an appointment's link, or "" when no current key made it.

    Links from before the tokens were derived (stored hashed by a migration)
    or made with a key since retired cannot be written again.
    """
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        token = _manage_token(reference, secret)
        if constant_time_compare(digest(token), stored_hash):
            return token
    return ""


def booking_key_new() -> str:
    return secrets.token_urlsafe(32)
