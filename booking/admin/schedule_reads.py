"""What the staff schedule reads: practitioners, appointments and slots over days.

Days are the clinic's days: a range runs from local midnight to local midnight,
whatever the server's zone. The day and week grids (schedule_grid.py), Today
(today.py) and moves (move.py) read through here.
"""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, QuerySet

from booking.admin.scoping import scope_to_user
from booking.availability import clinic_zone
from booking.models import (
    ACTIVE_STATUSES,
    AppointmentRequest,
    AppointmentStatus,
    Practitioner,
    TimeSlot,
    Treatment,
)

# Shown on the schedule; declined and cancelled requests no longer hold time.
SHOWN_STATUSES = [*ACTIVE_STATUSES, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW]


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clinic_zone())


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def practitioners_for_schedule(user) -> list[Practitioner]:
    """Active practitioners the user may see, each with their active treatments (2 queries)."""
    queryset = (
        Practitioner.objects.active()
        .order_by("sort_order", "name")
        .prefetch_related(Prefetch("treatments", queryset=Treatment.objects.active()))
    )
    return list(scope_to_user(queryset, user, practitioner_path=""))


def appointments_in_range(
    appointments: QuerySet, *, practitioner_ids: list[int], start: datetime, end: datetime
) -> list[AppointmentRequest]:
    """The shown appointments of these practitioners that overlap [start, end), by time.

    `appointments` is what the user may see (the admin's scoped queryset).
    """
    return list(
        appointments.filter(
            practitioner_id__in=practitioner_ids,
            status__in=SHOWN_STATUSES,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("treatment", "patient", "course")
        .with_forms_missing()
        .order_by("starts_at")
    )


def slots_in_range(
    *, practitioner_ids: list[int], start: datetime, end: datetime
) -> list[TimeSlot]:
    """The slots (free or blocked) of these practitioners that overlap [start, end), by time."""
    return list(
        TimeSlot.objects.filter(
            practitioner_id__in=practitioner_ids, starts_at__lt=end, ends_at__gt=start
        ).order_by("starts_at")
    )


# How far back "the treatment a practitioner usually gives" looks.
USUAL_TREATMENT_DAYS = 90


def usual_treatments(practitioner_ids: list[int], *, before: datetime) -> dict[int, list[int]]:
    """Each practitioner's treatment ids, the most booked in the last weeks first (one query).

    A free time in the book opens phone-in booking with the treatment the
    practitioner usually gives, not whichever comes first in the catalogue.
    """
    rows = (
        AppointmentRequest.objects.filter(
            practitioner_id__in=practitioner_ids,
            starts_at__gte=before - timedelta(days=USUAL_TREATMENT_DAYS),
            starts_at__lt=before,
            status__in=SHOWN_STATUSES,
        )
        .values("practitioner_id", "treatment_id")
        .annotate(count=Count("pk"))
        .order_by("practitioner_id", "-count", "treatment_id")
    )
    usual: dict[int, list[int]] = {}
    for row in rows:
        usual.setdefault(row["practitioner_id"], []).append(row["treatment_id"])
    return usual
