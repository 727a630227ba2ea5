"""Reaching PostgreSQL outside a request: the checks a command makes before it starts.

A management command that cannot reach its database must say so in one
sentence (what is wrong and what to run), never with a pool timeout and a
traceback. The probe connects directly, without the pool, with a short
timeout, so the answer comes in about two seconds whatever the pool says.
"""

import psycopg
from django.conf import settings

CONNECT_TIMEOUT_SECONDS = 2


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
