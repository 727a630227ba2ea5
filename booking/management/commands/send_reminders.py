from django.core.management.base import BaseCommand
from django.utils import timezone

from booking.notifications import reminders_queue


class Command(BaseCommand):
    help = (
        "Queue reminder e-mails for confirmed appointments starting within "
        "BOOKING_REMINDER_HOURS. `run_daily` runs it hourly with the other jobs: "
        "idempotent, never reminds twice for one start time, and never for a "
        "cancelled appointment or a time it has moved from."
    )

    def handle(self, *args, **options):
        queued = reminders_queue(now=timezone.now())
        references = ", ".join(n.appointment.reference for n in queued)
        self.stdout.write(
            f"Reminders queued: {len(queued)}" + (f" ({references})" if queued else ".")
        )
