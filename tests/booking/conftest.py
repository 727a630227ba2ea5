import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from booking.models import AppointmentRequest, AppointmentStatus, Practitioner, Treatment
from booking.tokens import digest, private_token_new
from tests.booking.intake_world import with_needle_safety

# --- Appointments made straight with the ORM (e-mail, reminder, .ics tests) ---

_numbers = itertools.count(1)


def make_treatment(**fields) -> Treatment:
    n = next(_numbers)
    values = {
        "name": "Dry needling",
        "slug": f"dry-needling-{n}",
        "duration_minutes": 45,
        "buffer_after_minutes": 15,
        "price": Decimal("55.00"),
    }
    values.update(fields)
    return with_needle_safety(Treatment.objects.create(**values))


def make_practitioner(**fields) -> Practitioner:
    n = next(_numbers)
    values = {"name": "Maya Okafor", "slug": f"maya-okafor-{n}"}
    values.update(fields)
    return Practitioner.objects.create(**values)


def make_appointment(
    *, starts_at: datetime, treatment=None, practitioner=None, **fields
) -> AppointmentRequest:
    treatment = treatment or make_treatment()
    practitioner = practitioner or make_practitioner()
    ends_at = starts_at + timedelta(minutes=treatment.duration_minutes)
    values = {
        "reference": f"T{next(_numbers):07d}",
        "treatment": treatment,
        "practitioner": practitioner,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "occupied_until": ends_at + timedelta(minutes=treatment.buffer_after_minutes),
        "status": AppointmentStatus.REQUESTED,
        "patient_name": "Sam Patel",
        "email": "sam.patel@example.com",
        "phone": "07700 900123",
        "reason": "Stiff neck after a fall while climbing",
        # As a patient answering in free text might: never in an e-mail or calendar file.
        "answers": [
            {
                "form": "needle-safety",
                "version": 1,
                "key": "pregnant",
                "question": "Pregnant?",
                "value": False,
                "answer": "No",
                "flag": "",
            },
            {
                "form": "needle-safety",
                "version": 1,
                "key": "blood_thinners",
                "question": "Which blood thinners?",
                "value": "warfarin",
                "answer": "warfarin",
                "flag": "Blood thinners",
            },
        ],
        "privacy_notice_version": "2026-11",
    }
    values.update(fields)
    # As the booking service does: only the hash of the private link's token is stored.
    values.setdefault("manage_token_hash", digest(private_token_new(values["reference"])))
    return AppointmentRequest.objects.create(**values)


@pytest.fixture
def appointment_factory(db, clinic):
    """make_appointment with the demo clinic in place (its identity is in every e-mail)."""
    return make_appointment


LOCMEM_MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
FAILING_MAILERS = {"default": {"BACKEND": "tests.booking.mail_backends.RaisingEmailBackend"}}


@pytest.fixture
def mail_outage(settings):
    """The SMTP server refuses every message until the test calls the returned `end()`."""
    settings.MAILERS = FAILING_MAILERS

    class Outage:
        @staticmethod
        def end():
            settings.MAILERS = LOCMEM_MAILERS

    return Outage
