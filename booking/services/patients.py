"""Patient records: finding or making one for a booking, editing, merging, erasing."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from booking.errors import (
    BookingError,
)
from booking.intake.questions import kept_values, kept_versions
from booking.locks import Lock, lock_transaction
from booking.models import (
    AppointmentRequest,
    Course,
    Patient,
    WaitlistEntry,
    WaitlistEntryStatus,
    email_key,
    phone_key,
)


@dataclass(frozen=True)
class PatientDetails:
    name: str
    email: str
    phone: str
    is_new_patient: bool
    reason: str = ""
    # Answers to the treatment's intake forms (key to value), and which
    # version of each form was shown (slug to number): booking.intake.questions.
    answers: dict = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    date_of_birth: date | None = None

    @classmethod
    def of(cls, record) -> "PatientDetails":
        """The details an appointment or a waitlist entry was made with."""
        return cls(
            name=record.patient_name,
            email=record.email,
            phone=record.phone,
            is_new_patient=record.is_new_patient,
            reason=record.reason,
            answers=kept_values(getattr(record, "answers", None)),
            versions=kept_versions(getattr(record, "answers", None)),
        )


# --- Patients -----------------------------------------------------------------------


def _alternates(values: Iterable[str], *, key: Callable[[str], str], primary: str) -> list[str]:
    """Each value once, as `key` reads it, in the order given, without the primary one."""
    kept: list[str] = []
    for value in map(key, values):
        if value and value != primary and value not in kept:
            kept.append(value)
    return kept


def _same_name(first: str, second: str) -> bool:
    return " ".join(first.casefold().split()) == " ".join(second.casefold().split())


def patient_for_details(*, details: PatientDetails, joinable: QuerySet | None = None) -> Patient:
    """The record a booking with these details joins; a new one when none may be joined.

    A phone number or an e-mail address is easy to learn, so neither alone
    links a booking to anyone's record: a booking joins a record only when
    the name matches too (a returning patient who books again). Where the
    e-mail or phone belongs to a record under another name, the booking gets a
    record of its own, marked as a possible match of that one: front desk
    compares the two, and merges them or not. A new record with nobody's
    e-mail or phone is marked likewise when a record has its name, or its date
    of birth and surname. `joinable` narrows the records a
    booking may join (a practitioner's phone-in: only patients they already
    see). Nothing on an existing record changes: what the patient typed
    belongs to their appointment.
    """
    email, phone = email_key(details.email), phone_key(details.phone)
    keys = sorted(key for key in (email and f"email:{email}", phone and f"phone:{phone}") if key)
    matches: list[Patient] = []
    if keys:
        for key in keys:  # in one order, so two bookings never wait on each other
            lock_transaction(Lock.PATIENT, key)
        contact = (Q(email=email) if email else Q()) | (Q(phone_key=phone) if phone else Q())
        matches = list(
            Patient.objects.current()
            .select_for_update()
            .filter(contact)
            .order_by("-updated_at", "-pk")[:20]
        )
    # A record is joined by its e-mail, or by its phone when the booking gives no e-mail
    # (a family may share a phone); the other contact detail can only suggest a match.
    keyed = [p for p in matches if (p.email == email if email else p.phone_key == phone)]
    allowed = {patient.pk for patient in keyed}
    if joinable is not None and allowed:
        allowed &= set(joinable.filter(pk__in=allowed).values_list("pk", flat=True))
    for patient in keyed:
        if patient.pk in allowed and _same_name(patient.name, details.name):
            return patient
    suggested = keyed or matches
    if not suggested:
        # Nobody with this e-mail or phone; someone of the same name, or the same date of
        # birth and surname, may still be this person.
        suggested = list(
            Patient.objects.current()
            .possibly_same_as(name=details.name, date_of_birth=details.date_of_birth)
            .order_by("-updated_at", "-pk")[:1]
        )
    return Patient.objects.create(
        name=details.name,
        email=email,
        phone=details.phone,
        phone_key=phone,
        date_of_birth=details.date_of_birth,
        possible_match=suggested[0] if suggested else None,
    )


@transaction.atomic
def patient_save(*, patient: Patient, now: datetime) -> Patient:
    """Save a patient record as staff edited it.

    The e-mail is stored in lower case and the phone's digits are kept for
    finding the patient. Upcoming appointments take the new name and contact
    details, so their e-mails and reminders reach the patient where they are now.
    """
    if patient.anonymised_at is not None:
        raise BookingError("This patient's details have been anonymised.")
    patient.name = " ".join(patient.name.split())
    patient.email = email_key(patient.email)
    patient.phone = " ".join(patient.phone.split())
    patient.phone_key = phone_key(patient.phone)
    patient.other_emails = _alternates(patient.other_emails, key=email_key, primary=patient.email)
    patient.other_phones = _alternates(
        patient.other_phones, key=phone_key, primary=patient.phone_key
    )
    patient.save()
    AppointmentRequest.objects.active().filter(patient=patient, starts_at__gt=now).update(
        patient_name=patient.name, email=patient.email, phone=patient.phone
    )
    for entry in patient.waitlist_entries.filter(status=WaitlistEntryStatus.WAITING):
        entry.patient_name, entry.email, entry.phone = patient.name, patient.email, patient.phone
        try:
            with transaction.atomic():
                entry.save(update_fields=["patient_name", "email", "phone", "updated_at"])
        except IntegrityError:
            # The new address already waits for this treatment: that place is kept.
            continue
    return patient


@transaction.atomic
def patients_merge(*, keep_id: int, merge_ids: Iterable[int]) -> Patient:
    """Fold duplicate records into one: their appointments move to the kept patient.

    The kept record's own details win; its gaps are filled from the others
    (most recently updated first), every other e-mail address and phone number
    of theirs is kept among its alternates, and staff notes are joined. The
    merged records are then deleted. Merging a possible match into the record it
    matches is how front desk says they are one person.
    """
    others_ids = sorted(set(merge_ids) - {keep_id})
    if not others_ids:
        raise BookingError("Choose at least two patients to merge.")
    rows = Patient.objects.select_for_update().order_by("pk").in_bulk([keep_id, *others_ids])
    if len(rows) != len(others_ids) + 1:
        raise BookingError("One of these patients no longer exists. Reload the list.")
    if any(row.anonymised_at is not None for row in rows.values()):
        raise BookingError("Anonymised patients cannot be merged.")
    keep = rows[keep_id]
    others = sorted((rows[pk] for pk in others_ids), key=lambda p: p.updated_at, reverse=True)

    AppointmentRequest.objects.filter(patient_id__in=others_ids).update(patient=keep)
    WaitlistEntry.objects.filter(patient_id__in=others_ids).update(patient=keep)
    Course.objects.filter(patient_id__in=others_ids).update(patient=keep)
    notes = [keep.notes.strip()] if keep.notes.strip() else []
    emails, phones = list(keep.other_emails), list(keep.other_phones)
    for other in others:
        emails += [other.email, *other.other_emails]
        phones += [other.phone, *other.other_phones]
        if not keep.email and other.email:
            keep.email = other.email
        if not keep.phone and other.phone:
            keep.phone, keep.phone_key = other.phone, phone_key(other.phone)
        if keep.date_of_birth is None:
            keep.date_of_birth = other.date_of_birth
        if other.notes.strip() and other.notes.strip() not in notes:
            notes.append(other.notes.strip())
    keep.notes = "\n\n".join(notes)
    keep.other_emails = _alternates(emails, key=email_key, primary=keep.email)
    keep.other_phones = _alternates(phones, key=phone_key, primary=phone_key(keep.phone))
    if keep.possible_match_id in others_ids:
        keep.possible_match = None
    keep.save()
    # Records that pointed at a merged one now point at the record kept.
    Patient.objects.filter(possible_match_id__in=others_ids).exclude(pk=keep.pk).update(
        possible_match=keep
    )
    Patient.objects.filter(pk__in=others_ids).delete()
    return keep


@transaction.atomic
def patient_match_dismiss(*, patient_id: int) -> Patient:
    """Front desk compared the two records: they are different people."""
    patient = Patient.objects.select_for_update().get(pk=patient_id)
    if patient.possible_match_id is not None:
        patient.possible_match = None
        patient.save(update_fields=["possible_match", "updated_at"])
    return patient
