"""What /healthz reports: the database, the cache and the task queue, each on its own.

Every check has a deadline, so the answer comes within three seconds whatever
is down, and none of them needs another to answer: with the database down the
cache is still checked, and the other way round.

The database's deadlines are kept by the client, because in a network
partition the server never sees the query and its one-second statement timeout
never starts (docs/scaling.md, "Deadlines", has the measurements):

- The pool checks a connection before lending it (clinic.database's
  `check_connection`, the pool's `check` in settings) and gives it up when the check is not answered
  within CHECK_TIMEOUT_SECONDS; a request waits at most DATABASE_POOL_TIMEOUT
  (and one check) for a connection that passes. That protects every request,
  /healthz included, from an idle pooled connection whose peer went silent.
- The database report gives up at DATABASE_DEADLINE_SECONDS by shutting the
  socket of the connection it is using (`_given_up_after`), so a query that
  goes unanswered once the connection is lent, or on a connection without the
  pool (PgBouncer), fails at once instead of waiting for the network.
- libpq's `tcp_user_timeout` and keepalives (settings) drop, within three
  seconds, any connection whose peer stops acknowledging packets. They cannot
  tell a proxy or PgBouncer that still acknowledges but never answers from a
  slow query, hence the timers above.
"""

import contextlib
import os
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime

import psycopg
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Case, Count, F, Min, When
from django.db.models.functions import Greatest

from clinic.redis_cache import FailSoftRedisCache

STATEMENT_TIMEOUT_MS = 1000
# With the cache's REDIS_TIMEOUT after it, /healthz still answers within three seconds.
DATABASE_DEADLINE_SECONDS = 2.0


def _shut_down(conn: psycopg.Connection | None) -> None:
    """Shut the connection's socket: a call blocked on it fails at once with OperationalError."""
    if conn is None or conn.closed:
        return
    try:
        fd = conn.pgconn.socket
    except psycopg.OperationalError:
        return  # libpq has already dropped it
    with socket.socket(fileno=os.dup(fd)) as sock, contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def _given_up_after(seconds: float) -> Iterator[None]:
    """Give up the database connection this thread uses once `seconds` have passed.

    A timer thread shuts the connection's socket: the query waiting on it
    raises OperationalError at once, and the pool discards the connection.
    Until the block ends it keeps watching, for a connection the pool lends
    after the deadline. Each connection is shut once, while the block is
    still using it.
    """
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's
    lock = threading.Lock()
    finished = threading.Event()

    def watch() -> None:
        if finished.wait(seconds):
            return
        shut = None
        while True:
            with lock:
                if finished.is_set():
                    return
                if wrapper.connection is not shut:
                    shut = wrapper.connection
                    _shut_down(shut)
            if finished.wait(0.05):
                return

    threading.Thread(target=watch, name="database-deadline", daemon=True).start()
    try:
        yield
    finally:
        with lock:
            finished.set()


def seconds_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, int((now - moment).total_seconds()))


def _task_queue(now: datetime) -> dict:
    """The backlog of the database task queue: tasks ready to run, and the longest wait."""
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return {"tasks": "not queued", "task_backlog": None, "oldest_task_seconds": None}
    # A task waits from when it may run: its run_after, or when queued if undelayed.
    waiting_since = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("run_after", "enqueued_at"),
    )
    ready = DBTaskResult.objects.ready().aggregate(n=Count("id"), oldest=Min(waiting_since))
    return {
        "tasks": "ok",
        "task_backlog": ready["n"],
        "oldest_task_seconds": seconds_since(ready["oldest"], now),
    }


def database_report(now: datetime, extra: Callable[[datetime], dict] | None = None) -> dict:
    """The database and everything read from it; "unreachable" when it does not answer in time."""
    try:
        with _given_up_after(DATABASE_DEADLINE_SECONDS), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
            report = {"database": "ok", **_task_queue(now)}
            if extra is not None:
                report.update(extra(now))
        return report
    except DatabaseError:
        return {"database": "unreachable", "tasks": "unreachable"}


def cache_report() -> dict:
    backend = caches["default"]
    if isinstance(backend, FailSoftRedisCache):
        return {"cache": "ok" if backend.health() is None else "unreachable"}
    return {"cache": "ok"}  # process memory: up while the process is


def health(now: datetime, extra: Callable[[datetime], dict] | None = None) -> tuple[bool, dict]:
    report = {**database_report(now, extra), **cache_report()}
    down = [name for name in ("database", "cache", "tasks") if report.get(name) == "unreachable"]
    report = {"status": "error" if down else "ok", "down": down, **report}
    return not down, report
