"""The rules every booking and move must pass, each a function that raises BookingError."""

from datetime import datetime, timedelta

from booking.availability import (
    booking_window,
    clinic_zone,
    on_step,
    request_confirmable_from,
    start_step,
)
from booking.errors import (
    AlreadyBookedError,
    BookingError,
)
from booking.models import (
    AppointmentRequest,
    Practitioner,
    TimeSlot,
    Treatment,
)
from clinic.identity import get_clinic

# The shortest slot worth generating. Offered start times fall on each
# treatment's own step past the full hour (Treatment.start_step_minutes).
GRANULARITY = timedelta(minutes=15)


def check_policy(*, starts_at: datetime, now: datetime, treatment: Treatment) -> None:
    earliest, latest = booking_window(now=now)
    if starts_at < now:
        raise BookingError("That time is in the past. Please choose another time.")
    if starts_at < earliest:
        raise BookingError(
            "That time is too soon to book online. Please choose a later time or phone us."
        )
    if starts_at >= latest:
        raise BookingError("That time is further ahead than we take bookings for.")
    if not on_step(starts_at, start_step(treatment)):
        raise BookingError("That is not one of the times we offer. Please choose a listed time.")


def request_notice_refusal(
    *, starts_at: datetime, now: datetime, because_of_answers: bool = False
) -> str:
    """Why a request for `starts_at` leaves staff no time to confirm it, or "" when it does."""
    confirmable = request_confirmable_from(now=now)
    if starts_at >= confirmable:
        return ""
    phone = get_clinic().phone
    phone_us = f"phone us{f' on {phone}' if phone else ''}"
    if not because_of_answers:
        return (
            "That time is too soon for us to confirm a request before it starts. "
            f"Please choose a later time, or {phone_us} to book it."
        )
    local = confirmable.astimezone(clinic_zone())
    return (
        "Because of your answers to the safety questions, a physiotherapist looks at them "
        "before confirming, and that time is too soon for us to do so. Please choose a time "
        f"from {local:%A} {local.day} {local:%B} at {local:%H:%M}, or {phone_us}."
    )


def check_request_notice(
    *, starts_at: datetime, now: datetime, because_of_answers: bool = False
) -> None:
    """A request must leave staff the time to confirm it before it starts."""
    refusal = request_notice_refusal(
        starts_at=starts_at, now=now, because_of_answers=because_of_answers
    )
    if refusal:
        raise BookingError(refusal)


def check_fits_in_slot(*, practitioner: Practitioner, starts_at: datetime, ends_at: datetime):
    fits = TimeSlot.objects.filter(
        practitioner=practitioner,
        is_blocked=False,
        starts_at__lte=starts_at,
        ends_at__gte=ends_at,
    ).exists()
    if not fits:
        raise BookingError(
            f"{practitioner.name} is not available at that time. Please choose another time."
        )


def check_key_unused(key_hash: str) -> None:
    booked = (
        AppointmentRequest.objects.select_related("treatment", "practitioner")
        .filter(booking_key_hash=key_hash)
        .first()
    )
    if booked is not None:
        raise AlreadyBookedError(
            f"This form has already booked appointment {booked.reference}.", appointment=booked
        )


def check_offers(*, treatment: Treatment, practitioner: Practitioner) -> None:
    if not (treatment.is_active and practitioner.is_active):
        raise BookingError("That treatment or practitioner cannot be booked online.")
    if not practitioner.treatments.filter(pk=treatment.pk).exists():
        raise BookingError(f"{practitioner.name} does not offer {treatment.name}.")
