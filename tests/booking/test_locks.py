"""Advisory locks have names, and no two share a number."""

import pytest
from django.db import connection

from booking.locks import Lock, lock_session_try, unlock_session


def test_every_lock_has_a_number_of_its_own():
    # An IntEnum makes a second name with the same value an alias, not a member.
    assert len(Lock.__members__) == len({lock.value for lock in Lock})


@pytest.mark.django_db(transaction=True)
def test_a_session_lock_is_held_until_released():
    assert lock_session_try(Lock.RUN_DAILY)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
            [int(Lock.RUN_DAILY)],
        )
        assert cursor.fetchone()[0] == 1
    unlock_session(Lock.RUN_DAILY)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
            [int(Lock.RUN_DAILY)],
        )
        assert cursor.fetchone()[0] == 0
