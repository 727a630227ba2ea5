"""Every scheduled job in one command: run it at start-up and then hourly (or daily).

Each job is idempotent, so running it late, twice or hourly changes nothing
that one run would not. A PostgreSQL advisory lock lets one run at a time
through, so two machines may both schedule it: the second finds the lock held
and stops at once. A job that fails does not stop the others; the command
then exits 1 after running them all.
"""

import logging
import time
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from booking.locks import Lock, lock_session_try, unlock_session
from booking.notifications import forms_reminders_queue, notifications_requeue, reminders_queue
from booking.ratelimit import counters_prune
from booking.services import appointments_anonymise, slots_generate
from booking.waitlist.tasks import waitlist_refresh
from clinic.identity import get_clinic

logger = logging.getLogger("booking.run_daily")

# E-mails younger than this may still have their first send under way.
REQUEUE_OLDER_THAN = timedelta(minutes=10)


def _slots(now):
    days = get_clinic().booking_horizon_days + 1
    created = slots_generate(start=timezone.localdate(now), days=days, now=now)
    return f"{created} slots created for the next {days} days"


def _reminders(now):
    forms = len(forms_reminders_queue(now=now))
    return f"{len(reminders_queue(now=now))} reminders queued, {forms} pre-visit form reminders"


def _email_retries(now):
    return (
        f"{len(notifications_requeue(now=now, older_than=REQUEUE_OLDER_THAN))} e-mails re-enqueued"
    )


def _waitlist(now):
    done = waitlist_refresh(now=now)
    return (
        f"{done['expired']} offers expired, {done['offered']} times offered to the next in line, "
        f"{done['ended']} waitlist places ended, {done['pruned']} old link e-mails deleted"
    )


def _rate_limits(now):
    return f"{counters_prune(now=now)} ended rate-limit windows deleted"


def _sessions(now):
    # A patient's session holds the details typed for a booking not yet made;
    # it ends two hours after its last use, and expired rows go here.
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    return "expired sessions deleted"


def _anonymise(now):
    days = settings.BOOKING_RETENTION_DAYS
    count = appointments_anonymise(ended_before=now - timedelta(days=days), now=now)
    return f"{count} appointments older than {days} days anonymised"


JOBS = {
    "slots": _slots,
    "reminders": _reminders,
    "email-retries": _email_retries,
    "waitlist": _waitlist,
    "rate-limits": _rate_limits,
    "anonymise": _anonymise,
    "sessions": _sessions,
}


class Command(BaseCommand):
    help = (
        "Run every scheduled job: slot generation, reminders, e-mail retries, waitlist offers "
        "and places past their time, rate-limit pruning, anonymisation and expired sessions. "
        "Idempotent; one run at a time across all machines (PostgreSQL advisory lock). Run it "
        "at start-up and then hourly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", choices=sorted(JOBS), action="append", help="Run only this job (repeatable)."
        )
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="Keep running: once now, then every SECONDS (for `make run` and compose).",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="With --every: the first round after SECONDS, not now (a round just ran).",
        )

    def handle(self, *args, only=None, every=None, wait=False, **options):
        if every is None:
            return self.run_once(only)
        if every < 60:
            raise CommandError("--every must be at least 60 seconds.")
        if wait:
            time.sleep(every)
        while True:
            try:
                self.run_once(only)
            except (CommandError, DatabaseError) as error:
                # Logged; the next round tries again (the database may be back by then).
                logger.error("run_daily round failed: %s", error, extra={"event": "round_failed"})
            finally:
                connection.close()  # do not hold a pooled connection while sleeping
            time.sleep(every)

    def run_once(self, only):
        if not lock_session_try(Lock.RUN_DAILY):
            self.stdout.write("Another run_daily is running; nothing to do.")
            logger.info("run_daily skipped: another run holds the lock", extra={"event": "skipped"})
            return
        failed = []
        try:
            for name, job in JOBS.items():
                if only and name not in only:
                    continue
                started = time.monotonic()
                try:
                    outcome = job(timezone.now())
                except Exception:
                    failed.append(name)
                    logger.exception("run_daily job %s failed", name, extra={"job": name})
                    self.stderr.write(f"{name}: failed (see the log)")
                    continue
                seconds = round(time.monotonic() - started, 3)
                logger.info(
                    "run_daily job %s: %s",
                    name,
                    outcome,
                    extra={"job": name, "outcome": outcome, "seconds": seconds},
                )
                self.stdout.write(f"{name}: {outcome}.")
        finally:
            unlock_session(Lock.RUN_DAILY)
        if failed:
            raise CommandError(f"These jobs failed: {', '.join(failed)}.")
