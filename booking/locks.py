"""Every PostgreSQL advisory lock the site takes, by name: the only place their numbers appear.

A lock serialises one kind of work across every process and server: two
slot generations, two finds-or-makes of the patient for one e-mail address,
two daily runs. Keys must differ, or unrelated work would wait on each other
(tests/booking/test_locks.py checks it). Transaction locks end with the
transaction; the daily run holds a session lock while its jobs run.
"""

from enum import IntEnum

from django.db import connection


class Lock(IntEnum):
    SLOT_GENERATION = 4_240_001
    PATIENT = 4_240_002  # with the e-mail address or phone number as the second key
    WAITLIST_MATCH = 4_240_003
    WAITLIST_JOIN = 4_240_004  # with the e-mail address and treatment
    RUN_DAILY = 4_240_005
    BOOKING_LINKS = 4_240_006  # with the e-mail address


def lock_transaction(lock: Lock, key: str = "") -> None:
    """Wait for `lock` (for this `key`, when given) until the transaction ends."""
    with connection.cursor() as cursor:
        if key:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [int(lock), key])
        else:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(lock)])


def lock_session_try(lock: Lock) -> bool:
    """Take `lock` for this connection if nobody holds it; release with unlock_session()."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [int(lock)])
        (locked,) = cursor.fetchone()
    return locked


def unlock_session(lock: Lock) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [int(lock)])
