"""Erasing personal details: appointments past the retention period, and their traces."""

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from booking import signals
from booking.errors import (
    BookingError,
)
from booking.models import (
    AppointmentRequest,
    AppointmentStatusChange,
    Course,
    Notification,
    NotificationKind,
    Patient,
    WaitlistEntry,
    WaitlistEntryStatus,
    WaitlistOffer,
)

ANONYMISED_NAME = "Anonymised"
ANONYMISED_EMAIL = "anonymised@invalid.example"


@transaction.atomic
def appointments_anonymise(*, ended_before: datetime, now: datetime) -> int:
    """Erase the personal details of appointments that ended before `ended_before`.

    Treatment, practitioner, times, status and source stay for the statistics;
    name, e-mail, phone, reason, intake answers, the manage link and free
    text that may name the patient (decline reason, history notes, mail errors,
    admin log labels) go. Patient records left with nothing but anonymised
    appointments are anonymised too. Already anonymised rows are left alone,
    so running it twice changes nothing. Returns how many appointments were
    anonymised.
    """
    if ended_before > now:
        raise BookingError("Only appointments in the past can be anonymised.")
    due = AppointmentRequest.objects.select_for_update().filter(
        anonymised_at__isnull=True, ends_at__lt=ended_before
    )
    ids = list(due.values_list("pk", flat=True))
    _appointments_erase(ids=ids, now=now)
    _waitlist_erase(
        ids=list(
            WaitlistEntry.objects.select_for_update()
            .filter(anonymised_at__isnull=True, last_day__lt=ended_before.date())
            .exclude(status=WaitlistEntryStatus.WAITING)
            .values_list("pk", flat=True)
        ),
        now=now,
    )
    # A patient whose every appointment and waitlist entry is now anonymised
    # (or who never booked, and was added long ago) has nothing left to keep.
    _patients_erase(
        ids=list(
            Patient.objects.select_for_update()
            .current()
            .filter(created_at__lt=ended_before)
            .exclude(
                Exists(
                    AppointmentRequest.objects.filter(
                        patient=OuterRef("pk"), anonymised_at__isnull=True
                    )
                )
            )
            .exclude(
                Exists(
                    WaitlistEntry.objects.filter(patient=OuterRef("pk"), anonymised_at__isnull=True)
                )
            )
            .values_list("pk", flat=True)
        ),
        now=now,
    )
    _courses_erase()
    return len(ids)


def _courses_erase() -> None:
    """Courses follow their sessions: gone with the last of them, unlinked once all are erased.

    A course keeps only its treatment, practitioner, size and price (for the
    statistics); the link to the patient goes when every session is anonymised.
    """
    Course.objects.exclude(
        Exists(AppointmentRequest.objects.filter(course=OuterRef("pk")))
    ).delete()
    Course.objects.filter(patient__isnull=False).exclude(
        Exists(AppointmentRequest.objects.filter(course=OuterRef("pk"), anonymised_at__isnull=True))
    ).update(patient=None)


def _appointments_erase(*, ids: list[int], now: datetime) -> None:
    """Replace the personal details of these appointments; keep what statistics need."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    if not ids:
        return
    AppointmentRequest.objects.filter(pk__in=ids).update(
        patient_name=ANONYMISED_NAME,
        email=ANONYMISED_EMAIL,
        phone="",
        reason="",
        answers=[],
        decline_reason="",
        # Unique and useless: the old manage link stops working.
        manage_token_hash=Concat(Value("anonymised-"), Cast("pk", CharField())),
        anonymised_at=now,
    )
    AppointmentStatusChange.objects.filter(appointment_id__in=ids).update(note="")
    Notification.objects.filter(appointment_id__in=ids).update(last_error="")
    # The admin's own history labels each row with str(appointment), which names the patient.
    _erase_admin_log(model=AppointmentRequest, ids=ids)


def _waitlist_erase(*, ids: list[int], now: datetime) -> None:
    """Replace the personal details of these waitlist entries; their links stop working."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    if not ids:
        return
    waiting = list(
        WaitlistEntry.objects.filter(pk__in=ids, status=WaitlistEntryStatus.WAITING).values_list(
            "pk", flat=True
        )
    )
    WaitlistEntry.objects.filter(pk__in=waiting).update(
        status=WaitlistEntryStatus.LEFT, closed_at=now
    )
    signals.waitlist_places_erased.send(sender=None, entry_ids=ids, now=now)
    WaitlistEntry.objects.filter(pk__in=ids).update(
        patient_name=ANONYMISED_NAME,
        email=ANONYMISED_EMAIL,
        phone="",
        reason="",
        token_hash=Concat(Value("anonymised-"), Cast("pk", CharField())),
        anonymised_at=now,
    )
    WaitlistOffer.objects.filter(entry_id__in=ids).update(
        token_hash=Concat(Value("anonymised-"), Cast("pk", CharField()))
    )
    Notification.objects.filter(Q(waitlist_entry_id__in=ids) | Q(offer__entry_id__in=ids)).update(
        last_error=""
    )
    _erase_admin_log(model=WaitlistEntry, ids=ids)


def _erase_admin_log(*, model, ids: list[int]) -> None:
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Value

    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in ids],
    ).update(object_repr=Value(ANONYMISED_NAME))


def _patients_erase(*, ids: list[int], now: datetime) -> None:
    if not ids:
        return
    Patient.objects.filter(pk__in=ids).update(
        name=ANONYMISED_NAME,
        email="",
        phone="",
        phone_key="",
        other_emails=[],
        other_phones=[],
        date_of_birth=None,
        notes="",
        possible_match=None,
        anonymised_at=now,
    )
    # An erased record is nobody's possible match any more.
    Patient.objects.filter(possible_match_id__in=ids).update(possible_match=None)
    _erase_admin_log(model=Patient, ids=ids)


@transaction.atomic
def patient_anonymise(*, patient_id: int, now: datetime) -> Patient:
    """Erase one patient's personal details, on their record and every appointment.

    Times, treatments and outcomes stay for the statistics, as with the
    retention job. A patient with an appointment still ahead is refused: cancel
    it first, so that nobody is expected at the clinic under a blank name.
    """
    patient = Patient.objects.select_for_update().get(pk=patient_id)
    if patient.anonymised_at is not None:
        return patient
    ahead = patient.appointments.active().filter(ends_at__gt=now).count()
    if ahead:
        raise BookingError(
            f"{patient.name} has {ahead} appointment{'s' if ahead > 1 else ''} still ahead. "
            "Cancel them first, then anonymise."
        )
    ids = list(
        patient.appointments.select_for_update()
        .filter(anonymised_at__isnull=True)
        .values_list("pk", flat=True)
    )
    _appointments_erase(ids=ids, now=now)
    _waitlist_erase(
        ids=list(
            patient.waitlist_entries.select_for_update()
            .filter(anonymised_at__isnull=True)
            .values_list("pk", flat=True)
        ),
        now=now,
    )
    emails = [email for email in (patient.email, *patient.other_emails) if email]
    if emails:
        Notification.objects.filter(kind=NotificationKind.BOOKING_LINKS, email__in=emails).delete()
    _patients_erase(ids=[patient.pk], now=now)
    # The courses stay for the statistics, no longer tied to anyone.
    Course.objects.filter(patient=patient).update(patient=None)
    _courses_erase()
    patient.refresh_from_db()
    return patient
