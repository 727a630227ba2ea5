"""What /healthz reports: the database, the cache and the task queue, each on its own.

Every check is bounded in time (the pool's DATABASE_POOL_TIMEOUT or
DATABASE_CONNECT_TIMEOUT, a one-second statement timeout, REDIS_TIMEOUT), so
the answer comes within three seconds whatever is down, and none of them
needs another to answer: with the database down the cache is still checked,
and the other way round.
"""

from collections.abc import Callable
from datetime import datetime

from django.core.cache import caches
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, Count, F, Min, When
from django.db.models.functions import Greatest

from clinic.cache import FailSoftRedisCache

STATEMENT_TIMEOUT_MS = 1000


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
    """The database and everything read from it; "unreachable" when it does not answer."""
    try:
        with transaction.atomic():
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
