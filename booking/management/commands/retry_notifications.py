from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from booking.notifications import notifications_requeue


class Command(BaseCommand):
    help = (
        "Re-enqueue booking e-mails that wait to be sent but have no task on the queue "
        "(for example when the queue was unreachable at booking time). Safe to run any "
        "time, e.g. hourly from cron: an e-mail is never sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=10,
            metavar="MINUTES",
            help="Only e-mails queued at least this many minutes ago (default: 10).",
        )

    def handle(self, *args, older_than, **options):
        ids = notifications_requeue(now=timezone.now(), older_than=timedelta(minutes=older_than))
        self.stdout.write(f"E-mails re-enqueued: {len(ids)}.")
