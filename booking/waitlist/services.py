"""Joining and leaving the waitlist, and claiming an offered time.

A claim books through booking.services.appointment_book, so the exclusion
constraint, the booking rules and the safety screening of needle treatments
are the same as for any booking. Its booking key is derived from the offer:
a second press on one offer finds the booking the first made.
"""

from collections.abc import Collection
from dataclasses import replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from booking.availability import booking_window, clinic_zone
from booking.errors import AlreadyBookedError, BookingError, OfferClosedError, SlotTakenError
from booking.locks import Lock, lock_transaction
from booking.models import (
    AppointmentRequest,
    NotificationKind,
    Practitioner,
    Treatment,
    WaitlistEntry,
    WaitlistEntryStatus,
    WaitlistOffer,
    WaitlistOfferStatus,
    email_key,
)
from booking.notifications import queue_notification
from booking.services import (
    PatientDetails,
    appointment_book,
    check_answered,
    patient_for_details,
)
from booking.tokens import (
    WAITLIST_SALT,
    digest,
    offer_booking_key,
    private_token_new,
    reference_new,
)
from booking.waitlist.offers import offers_withdraw

# Serialises joining for one address and treatment (a double press makes one place).


def last_waitlist_day(*, now: datetime) -> date:
    """The last day a patient may wait for: the booking horizon's last day."""
    _earliest, latest = booking_window(now=now)
    return (latest - timedelta(seconds=1)).astimezone(clinic_zone()).date()


def waitlist_refusal(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None,
    first_day: date,
    last_day: date,
    times_of_day: tuple[bool, bool, bool],
    now: datetime,
) -> str:
    """Why these wishes cannot go on the waitlist, or "" when they can."""
    today = now.astimezone(clinic_zone()).date()
    if not treatment.is_active:
        return "That treatment cannot be booked online."
    if practitioner is not None and not (
        practitioner.is_active and practitioner.treatments.filter(pk=treatment.pk).exists()
    ):
        return f"{practitioner.name} does not offer {treatment.name}."
    if first_day < today:
        return "The first day cannot be in the past."
    if last_day < first_day:
        return "The last day cannot be before the first day."
    if last_day > last_waitlist_day(now=now):
        return "We only take bookings up to the last day in the booking calendar."
    if not any(times_of_day):
        return "Choose at least one time of day."
    return ""


def _check_places_held(*, email: str, today: date) -> None:
    limit = settings.BOOKING_WAITLIST_PLACES_PER_EMAIL
    if limit and WaitlistEntry.objects.waiting_for_email(email, today=today).count() >= limit:
        raise BookingError(
            f"This e-mail address already holds {limit} places on the waitlist, as many as "
            "we keep for one address. Leave one from the link in its e-mail first, or phone us."
        )


@transaction.atomic
def waitlist_join(
    *,
    treatment: Treatment,
    practitioner: Practitioner | None,
    first_day: date,
    last_day: date,
    times_of_day: tuple[bool, bool, bool],
    details: PatientDetails,
    now: datetime,
    privacy_notice_version: str,
    owned_references: Collection[str] = (),
) -> tuple[WaitlistEntry, bool]:
    """Put the patient on the waitlist; (entry, True) when new.

    One place per address and treatment, and at most
    BOOKING_WAITLIST_PLACES_PER_EMAIL places per address. Joining again for
    the same treatment keeps the place in the line and takes the new wishes,
    but only for a place in `owned_references` (the patient opened its
    private link): an address is easy to learn, so typing one changes nobody's
    place. Either way the patient gets an e-mail with the private link to the
    entry.
    """
    refusal = waitlist_refusal(
        treatment=treatment,
        practitioner=practitioner,
        first_day=first_day,
        last_day=last_day,
        times_of_day=times_of_day,
        now=now,
    )
    if refusal:
        raise BookingError(refusal)
    email = email_key(details.email)
    lock_transaction(Lock.WAITLIST_JOIN, email)
    mornings, afternoons, evenings = times_of_day
    wishes = {
        "practitioner": practitioner,
        "first_day": first_day,
        "last_day": last_day,
        "mornings": mornings,
        "afternoons": afternoons,
        "evenings": evenings,
        "patient_name": details.name,
        "phone": details.phone,
        "is_new_patient": details.is_new_patient,
        "reason": details.reason,
        "consent_at": now,
        "privacy_notice_version": privacy_notice_version,
    }
    entry = (
        WaitlistEntry.objects.select_for_update()
        .filter(status=WaitlistEntryStatus.WAITING, email=email, treatment=treatment)
        .first()
    )
    created = entry is None
    if entry is not None:
        _update_place(
            entry=entry, treatment=treatment, wishes=wishes, owned_references=owned_references
        )
    else:
        _check_places_held(email=email, today=now.astimezone(clinic_zone()).date())
        entry = _new_place(treatment=treatment, email=email, details=details, wishes=wishes)
    queue_notification(kind=NotificationKind.WAITLIST_JOINED, entry=entry)
    return entry, created


def _update_place(
    *, entry: WaitlistEntry, treatment: Treatment, wishes: dict, owned_references
) -> None:
    if entry.reference not in owned_references:
        # Knowing an address is not owning it: a place changes only from its own link.
        raise BookingError(
            f"This e-mail address already has a place on the waitlist for "
            f"{treatment.name.lower()}. To change its days or times, open the link in "
            "the e-mail we sent when it joined, or ask for the link again with Find my booking."
        )
    for name, value in wishes.items():
        setattr(entry, name, value)
    entry.save()


def _new_place(
    *, treatment: Treatment, email: str, details: PatientDetails, wishes: dict
) -> WaitlistEntry:
    patient = patient_for_details(details=replace(details, answers={}, versions={}))
    for attempt in range(5):
        reference = reference_new()
        try:
            with transaction.atomic():
                return WaitlistEntry.objects.create(
                    reference=reference,
                    token_hash=digest(private_token_new(reference, salt=WAITLIST_SALT)),
                    treatment=treatment,
                    patient=patient,
                    email=email,
                    **wishes,
                )
        except IntegrityError:
            if attempt == 4:  # a reference drawn twice: astronomically rare
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


@transaction.atomic
def waitlist_leave(*, entry_id: int, now: datetime) -> WaitlistEntry:
    """Take the entry off the list (the patient, or staff); its open offers close."""
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
    if entry.status == WaitlistEntryStatus.WAITING:
        entry.status, entry.closed_at = WaitlistEntryStatus.LEFT, now
        entry.save(update_fields=["status", "closed_at", "updated_at"])
        offers_withdraw(entry_ids=[entry.pk], now=now)
    return entry


def offer_closed_message(offer: WaitlistOffer, *, now: datetime) -> str:
    """Why this offer cannot be claimed, in the patient's words, or "" when it can."""
    if offer.status == WaitlistOfferStatus.TAKEN:
        return "Someone was quicker: this time has just been booked."
    if offer.status == WaitlistOfferStatus.CLAIMED:
        return "You have booked this time already."
    if offer.status == WaitlistOfferStatus.EXPIRED or (
        offer.status == WaitlistOfferStatus.OPEN and offer.expires_at <= now
    ):
        return "This offer has expired, so the time has gone to the next person on the waitlist."
    if offer.status == WaitlistOfferStatus.WITHDRAWN:
        entry = offer.entry
        if entry.status == WaitlistEntryStatus.BOOKED:
            return "You have booked an appointment for this treatment, so the offer was closed."
        return "This offer was closed because the waitlist place it was for has ended."
    return ""


def offer_claim(
    *, offer_id: int, answers: dict, now: datetime, versions: dict | None = None
) -> AppointmentRequest:
    """Book the offered time for the patient it was offered to, if nobody was quicker.

    OfferClosedError (with a message for the patient) when the offer is no
    longer open, when someone else booked the time first, or when the time
    can no longer be booked online; the patient stays on the waitlist then.
    AlreadyBookedError, naming the booking, when this offer has booked already
    (a second press, even one that ran alongside the first).
    """
    offer = WaitlistOffer.objects.select_related(
        "entry__treatment", "entry__patient", "practitioner"
    ).get(pk=offer_id)
    entry = offer.entry
    key = offer_booking_key(offer.reference)
    closed = offer_closed_message(offer, now=now)
    if offer.status == WaitlistOfferStatus.CLAIMED and offer.appointment_id:
        raise AlreadyBookedError(
            f"This offer has booked appointment {offer.appointment.reference}.",
            appointment=offer.appointment,
        )
    if closed:
        raise OfferClosedError(closed, offer=offer)
    details = replace(PatientDetails.of(entry), answers=answers, versions=versions or {})
    check_answered(treatment=entry.treatment, patient=details)
    try:
        with transaction.atomic():
            appointment = appointment_book(
                treatment=entry.treatment,
                practitioner=offer.practitioner,
                starts_at=offer.starts_at,
                patient=details,
                now=now,
                privacy_notice_version=entry.privacy_notice_version or "unversioned",
                booking_key=key,
                patient_record=entry.patient,
            )
            WaitlistOffer.objects.filter(pk=offer.pk).update(
                status=WaitlistOfferStatus.CLAIMED, appointment=appointment, closed_at=now
            )
    except AlreadyBookedError:
        # A second press on this offer that ran alongside the first.
        raise
    except SlotTakenError as error:
        _close(offer, WaitlistOfferStatus.TAKEN, now=now)
        raise OfferClosedError(
            "Someone was quicker: this time has just been booked.", offer=offer
        ) from error
    except BookingError as error:
        # The time cannot be booked online any more (blocked, too soon, no longer offered).
        _close(offer, WaitlistOfferStatus.WITHDRAWN, now=now)
        raise OfferClosedError(str(error), offer=offer) from error
    return appointment


def _close(offer: WaitlistOffer, status: str, *, now: datetime) -> None:
    WaitlistOffer.objects.filter(pk=offer.pk, status=WaitlistOfferStatus.OPEN).update(
        status=status, closed_at=now
    )
    offer.refresh_from_db(fields=["status", "closed_at"])
