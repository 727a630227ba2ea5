"""A health check for the task workers: is the queue being worked through?

Exit 0 when no task ready to run has waited longer than --max-wait seconds,
1 otherwise (no worker running, or all of them stuck), with one sentence.
compose runs it as the worker's healthcheck; it checks every worker together.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from clinic.health import database_report


class Command(BaseCommand):
    help = "Exit 1 when a task ready to run has waited longer than --max-wait seconds."

    def add_arguments(self, parser):
        parser.add_argument("--max-wait", type=int, default=300, metavar="SECONDS")

    def handle(self, *args, max_wait, **options):
        report = database_report(timezone.now())
        if report["database"] != "ok":
            raise CommandError("The task queue cannot be read: the database is unreachable.")
        waited = report.get("oldest_task_seconds")
        if waited is not None and waited > max_wait:
            raise CommandError(
                f"{report['task_backlog']} task(s) wait to run; the oldest for {waited} s "
                f"(more than {max_wait} s): is a worker running?"
            )
        self.stdout.write(f"Task queue ok: {report.get('task_backlog') or 0} waiting.")
