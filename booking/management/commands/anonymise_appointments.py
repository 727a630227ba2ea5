"""Anonymise appointment requests older than the retention period (run daily)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from booking.services import appointments_anonymise


class Command(BaseCommand):
    help = (
        "Replace the personal details of appointments that ended more than the retention "
        "period ago (BOOKING_RETENTION_DAYS) with neutral values, keeping the statistics."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=settings.BOOKING_RETENTION_DAYS,
            help="Anonymise appointments that ended more than this many days ago "
            "(default: BOOKING_RETENTION_DAYS, %(default)s).",
        )

    def handle(self, *args, older_than_days: int, **options):
        if older_than_days < 1:
            raise CommandError("--older-than-days must be at least 1.")
        now = timezone.now()
        count = appointments_anonymise(ended_before=now - timedelta(days=older_than_days), now=now)
        self.stdout.write(
            f"Anonymised {count} appointment{'s' if count != 1 else ''} "
            f"that ended more than {older_than_days} days ago."
        )
