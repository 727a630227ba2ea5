"""Reaching PostgreSQL: the pool's check before it lends a connection, and the checks a
command makes before it starts.

A management command that cannot reach its database must say so in one
sentence (what is wrong and what to run), never with a pool timeout and a
traceback. The probe connects directly, without the pool, with a short
timeout, so the answer comes in about two seconds whatever the pool says.
"""

import select
import time

import psycopg
from django.conf import settings
from psycopg import pq

CONNECT_TIMEOUT_SECONDS = 2
# An empty query is answered within a round trip (under a millisecond on a LAN). The
# pool may start a last check just before DATABASE_POOL_TIMEOUT: this much later at most.
CHECK_TIMEOUT_SECONDS = 0.25


def check_connection(conn: psycopg.Connection) -> None:
    """The pool's check before it lends a connection: an empty query, answered in time.

    psycopg's own check (ConnectionPool.check_connection) waits for the answer
    as long as it takes: on a connection whose peer went silent, forever, and
    the request with it. This one raises after CHECK_TIMEOUT_SECONDS; the pool
    then closes the connection and lends another, or a new one, within
    DATABASE_POOL_TIMEOUT. It uses libpq's non-blocking calls (`conn.pgconn`),
    so it needs no thread.
    """
    pgconn = conn.pgconn
    deadline = time.monotonic() + CHECK_TIMEOUT_SECONDS
    with conn.lock:
        if pgconn.transaction_status != pq.TransactionStatus.IDLE:
            status = pq.TransactionStatus(pgconn.transaction_status).name
            raise psycopg.OperationalError(f"connection to check is {status}, not IDLE")
        pgconn.send_query(b"")
        while pgconn.flush():
            _wait_for(pgconn.socket, select.POLLOUT, deadline)
        pgconn.consume_input()
        while pgconn.is_busy():
            _wait_for(pgconn.socket, select.POLLIN, deadline)
            pgconn.consume_input()
        while (result := pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.EMPTY_QUERY:
                message = result.error_message.decode(errors="replace").strip()
                raise psycopg.OperationalError(message or "unexpected answer to the check")


def _wait_for(fd: int, event: int, deadline: float) -> None:
    poller = select.poll()
    poller.register(fd, event)
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not poller.poll(remaining * 1000):
        raise psycopg.OperationalError(
            f"no answer to the connection check within {CHECK_TIMEOUT_SECONDS} s"
        )


def connection_params() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    }


def server_address() -> str:
    params = connection_params()
    return f"{params['host'] or 'local socket'}:{params['port'] or 5432}"


def database_name() -> str:
    return settings.DATABASES["default"]["NAME"]


def first_line(error: Exception) -> str:
    """The useful part of a libpq error: 'FATAL: database "x" does not exist'."""
    line = (str(error).strip().splitlines() or ["no answer"])[0]
    return line.rsplit("failed: ", 1)[-1].strip()


def server_unreachable_sentence(reason: str) -> str:
    return (
        f"PostgreSQL is not reachable at {server_address()} ({reason}). Start a local server "
        "(pg_ctlcluster 15 main start) or run `docker compose up db`, or set "
        "DATABASE_URL to a server that answers."
    )


def database_missing_sentence() -> str:
    return (
        f"The database {database_name()!r} does not exist on {server_address()} yet. "
        "Create it with `python manage.py ensure_database` (make run and make deploy-check "
        "do this for you)."
    )


def why_unreachable() -> str | None:
    """One sentence saying why the configured database cannot be used, or None when it can."""
    params = connection_params()
    try:
        with psycopg.connect(dbname=database_name(), **params):
            return None
    except psycopg.OperationalError as error:
        reason = first_line(error)
    # The server may answer while the database itself is missing: say which.
    try:
        with psycopg.connect(dbname="postgres", **params) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database_name()]
            ).fetchone()
    except psycopg.OperationalError:
        return server_unreachable_sentence(reason)
    if not exists:
        return database_missing_sentence()
    return f"PostgreSQL refused the connection to {database_name()!r} ({reason})."
