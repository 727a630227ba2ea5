"""Services that lock rows open their own transaction.

Every other test runs inside the test case's transaction, which would hide a
service that lost its @transaction.atomic: select_for_update() outside a
transaction is refused in production, and here too.
"""

from datetime import timedelta

import pytest

from booking.models import AppointmentStatus
from booking.services import (
    appointment_book,
    appointment_cancel_by_patient,
    appointment_change_status,
    appointment_reschedule,
    appointments_anonymise,
    slot_set_blocked,
)
from tests.booking.booking_world import at, make_world, patient

pytestmark = pytest.mark.django_db(transaction=True)


def test_locking_services_work_with_no_transaction_around_them(clinic):
    world = make_world()
    slot = world.slot(world.maya, 9, 13)
    now = at(world.day, 8) - timedelta(days=3)
    first, second = (
        appointment_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=at(world.day, hour),
            patient=patient(),
            now=now,
        )
        for hour in (9, 11)
    )

    moved = appointment_reschedule(appointment_id=first.pk, starts_at=at(world.day, 10), now=now)
    confirmed = appointment_change_status(
        appointment_id=second.pk, to_status=AppointmentStatus.CONFIRMED, now=now
    )
    cancelled = appointment_cancel_by_patient(appointment_id=second.pk, now=now)
    blocked = slot_set_blocked(slot_id=slot.pk, blocked=True)
    after_the_day = at(world.day, 23)
    anonymised = appointments_anonymise(ended_before=after_the_day, now=after_the_day)

    assert moved.starts_at == at(world.day, 10)
    assert confirmed.status == AppointmentStatus.CONFIRMED
    assert cancelled.status == AppointmentStatus.CANCELLED_BY_PATIENT
    assert blocked.is_blocked
    assert anonymised == 2
