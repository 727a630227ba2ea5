"""A small clinic for the booking-flow tests: two physiotherapists, three treatments.

Each test module defines a two-line `world` fixture that calls make_world()
after the `clinic` fixture, so these helpers never leak into other modules.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.test import TestCase
from django.utils import timezone

from booking.forms import details_sign
from booking.models import Confirmation, Practitioner, TimeSlot, Treatment
from booking.services import PatientDetails, appointment_book
from booking.tokens import booking_key_new
from tests.booking.intake_world import ALL_NO, with_needle_safety

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware instant from a London wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def patient(**fields) -> PatientDetails:
    """A patient who has answered every safety question "no" (kept only for needle treatments)."""
    values = {
        "name": "Sam Patel",
        "email": "sam.patel@example.com",
        "phone": "07700 900123",
        "is_new_patient": True,
        "reason": "Stiff neck",
        "answers": dict(ALL_NO),
    }
    values.update(fields)
    return PatientDetails(**values)


def signed_details(treatment, *, key: str = "", binding: str = "", **fields) -> str:
    """What the review page signs for `treatment`: details, a fresh booking key, filled long ago
    (for the session whose booking.session.binding is `binding`, if given)."""
    return details_sign(
        patient(**fields),
        treatment=treatment.slug,
        key=key or booking_key_new(),
        started=0,
        binding=binding,
    )


@dataclass
class World:
    dry_needling: Treatment
    follow_up: Treatment
    massage: Treatment
    maya: Practitioner
    tom: Practitioner
    day: date

    def slot(self, practitioner, start_hour, end_hour, day=None, **fields) -> TimeSlot:
        day = day or self.day
        return TimeSlot.objects.create(
            practitioner=practitioner,
            starts_at=at(day, start_hour),
            ends_at=at(day, end_hour),
            **fields,
        )


def build_world(day: date) -> World:
    dry_needling = Treatment.objects.create(
        name="Dry needling",
        slug="dry-needling",
        duration_minutes=45,
        buffer_after_minutes=10,
        price=Decimal("65.00"),
        confirmation=Confirmation.ALWAYS,
    )
    with_needle_safety(dry_needling)
    follow_up = Treatment.objects.create(
        name="Physiotherapy follow-up",
        slug="physiotherapy-follow-up",
        duration_minutes=30,
        buffer_after_minutes=5,
        price=Decimal("45.00"),
        confirmation=Confirmation.NEVER,
    )
    massage = Treatment.objects.create(
        name="Massage therapy",
        slug="massage-therapy",
        duration_minutes=60,
        buffer_after_minutes=10,
        price=Decimal("55.00"),
    )
    maya = Practitioner.objects.create(name="Dr Maya Okafor", slug="maya-okafor", sort_order=1)
    tom = Practitioner.objects.create(name="Tom Lindqvist", slug="tom-lindqvist", sort_order=2)
    maya.treatments.add(dry_needling, follow_up, massage)
    tom.treatments.add(dry_needling, follow_up)
    return World(dry_needling, follow_up, massage, maya, tom, day)


def make_world() -> World:
    """Treatments and practitioners; `world.day` is a weekday 3 to 5 days ahead.

    Tests that call services pass `now` in; the real clock used by views is
    always well before `world.day`, so its times are bookable through the site.
    """
    day = timezone.localdate() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return build_world(day)


def book_and_commit(treatment, practitioner, starts_at: datetime):
    """Book through the service now, with what it does once committed run at once
    (tests run inside one transaction): the pickers it touches go stale."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return appointment_book(
            treatment=treatment,
            practitioner=practitioner,
            starts_at=starts_at,
            patient=patient(),
            now=timezone.now(),
        )
