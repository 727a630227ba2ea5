from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from booking.services import slots_generate
from clinic.identity import get_clinic


class Command(BaseCommand):
    help = (
        "Materialise bookable time slots from the practitioners' weekly hours for the "
        "booking horizon. Run daily (cron): idempotent, and never removes or moves time "
        "that holds an appointment."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="How many days ahead, from today (default: the clinic's booking horizon).",
        )

    def handle(self, *args, days=None, **options):
        days = days or get_clinic().booking_horizon_days + 1
        if days < 1:
            self.stderr.write("--days must be at least 1.")
            return
        today = timezone.localdate()
        created = slots_generate(start=today, days=days, now=timezone.now())
        last = today + timedelta(days=days - 1)
        self.stdout.write(f"Slots up to {last:%Y-%m-%d}: {created} created.")
