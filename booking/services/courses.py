"""Courses of treatment: proposing the sessions, and booking them all or none.

A course's sessions follow the first one at the treatment's spacing, at the
same wall-clock time with the same practitioner. Where a proposed time is not
free, the nearest free times that day come first, then the days around it.
Booking runs in one transaction: every session passes the same checks as a
single booking and is inserted under the same exclusion constraint; if any is
refused, nothing is kept and the patient learns which session and its
alternatives.
"""

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import QuerySet

from booking import signals
from booking.availability import clinic_zone, late_cancellation_from, local_instant
from booking.caching import on_commit_availability_changed
from booking.emails import covered_note
from booking.errors import (
    BookingError,
    CancellationWindowError,
    CourseSessionTakenError,
    LinkExpiredError,
    SlotTakenError,
)
from booking.models import (
    ACTIVE_STATUSES,
    AppointmentRequest,
    AppointmentStatus,
    Course,
    Notification,
    NotificationKind,
    NotificationStatus,
    Patient,
    Practitioner,
    Treatment,
)
from booking.notifications import queue_notification
from booking.selectors import free_starts
from booking.services.appointments import (
    _check_bookable,
    _insert,
    appointment_cancel_by_patient,
    appointment_values,
)
from booking.services.patients import PatientDetails, patient_for_details
from booking.services.status import status_change_record
from booking.tokens import digest, reference_new

# Alternatives offered for a session that is not free, and how far around it to look.
ALTERNATIVES_SHOWN = 4
ALTERNATIVE_DAYS = 3


@dataclass
class SessionPlan:
    """One session of a proposed course: its time, whether it is free, and other times."""

    number: int
    proposed: datetime  # the same weekday and time as the first, in the clinic's zone
    starts_at: datetime | None  # the time chosen (the proposed one when free)
    alternatives: list[datetime] = field(default_factory=list)

    @property
    def is_free(self) -> bool:
        return self.starts_at is not None


def _session_day(first: datetime, number: int, spacing_days: int) -> datetime:
    """The proposed start of session `number` (1 = the first), same wall-clock time."""
    zone = clinic_zone()
    local = first.astimezone(zone)
    day = local.date() + timedelta(days=spacing_days * (number - 1))
    return local_instant(day, time(local.hour, local.minute), zone)


def _free_around(
    *, treatment: Treatment, practitioner: Practitioner, around: datetime, now: datetime
) -> list[datetime]:
    """The practitioner's free starts in the days around `around`: that day first, nearest first."""
    zone = clinic_zone()
    day = around.astimezone(zone).date()
    first_day = max(day - timedelta(days=ALTERNATIVE_DAYS), now.astimezone(zone).date())
    _who, starts = free_starts(
        treatment=treatment,
        practitioner=practitioner,
        start=first_day,
        days=(day - first_day).days + ALTERNATIVE_DAYS + 1,
        now=now,
    )
    return sorted(
        starts,
        key=lambda moment: (
            moment.astimezone(zone).date() != day,
            abs(moment - around),
            moment,
        ),
    )


def course_plan(
    *,
    treatment: Treatment,
    practitioner: Practitioner,
    first: datetime,
    now: datetime,
    chosen: dict[int, datetime] | None = None,
) -> list[SessionPlan]:
    """The course's sessions from `first`: each proposed time, free or with alternatives.

    `chosen` holds the alternatives the patient has picked (session number to
    start); a choice that is no longer free is offered again as taken.
    """
    if not treatment.offers_course:
        raise BookingError(f"{treatment.name} is not offered as a course.")
    chosen = chosen or {}
    plans = []
    for number in range(1, treatment.course_sessions + 1):
        proposed = (
            first if number == 1 else _session_day(first, number, treatment.course_spacing_days)
        )
        wanted = chosen.get(number, proposed)
        free = _free_around(treatment=treatment, practitioner=practitioner, around=wanted, now=now)
        if wanted in free:
            plans.append(SessionPlan(number, proposed, wanted))
        else:
            plans.append(
                SessionPlan(number, proposed, None, alternatives=free[:ALTERNATIVES_SHOWN])
            )
    return plans


def _check_course_times(treatment: Treatment, starts: list[datetime]) -> None:
    if not treatment.offers_course:
        raise BookingError(f"{treatment.name} is not offered as a course.")
    if len(starts) != treatment.course_sessions:
        raise BookingError(
            f"A course of {treatment.name.lower()} is {treatment.course_sessions} sessions."
        )
    zone = clinic_zone()
    days: list[date] = [moment.astimezone(zone).date() for moment in starts]
    if any(later <= earlier for earlier, later in itertools.pairwise(days)):
        raise BookingError("Each session of a course must be on a later day than the one before.")


@transaction.atomic
def course_book(
    *,
    treatment: Treatment,
    practitioner: Practitioner,
    starts: list[datetime],
    patient: PatientDetails,
    now: datetime,
    source: str = AppointmentRequest.Source.ONLINE,
    by=None,
    enforce_policy: bool = True,
    privacy_notice_version: str = "",
    booking_key: str = "",
    patient_record: Patient | None = None,
    joinable_patients: QuerySet | None = None,
) -> Course:
    """Book every session of a course in one transaction, or none of them.

    Each session passes the checks of a single booking and is inserted under
    the exclusion constraint. When one is refused (taken meanwhile), the whole
    transaction is rolled back and CourseSessionTakenError names the session.
    The intake forms are answered once for the course; a request is one request for
    all its sessions, confirmed or declined together by staff. The single-use
    booking key sits on the first session: a second press books nothing.
    """
    _check_course_times(treatment, starts)
    key_hash = digest(booking_key) if booking_key else ""
    online = source == AppointmentRequest.Source.ONLINE
    ends = [
        _check_bookable(
            treatment=treatment,
            practitioner=practitioner,
            starts_at=starts_at,
            patient=patient,
            now=now,
            online=online,
            enforce_policy=enforce_policy,
            key_hash=key_hash if number == 1 else "",
        )
        for number, starts_at in enumerate(starts, start=1)
    ]
    record = patient_record or patient_for_details(details=patient, joinable=joinable_patients)
    if not online or not treatment.needs_confirmation(patient.answers, patient.versions):
        status = AppointmentStatus.CONFIRMED
    else:
        status = AppointmentStatus.REQUESTED
    course = Course.objects.create(
        reference=reference_new(),
        treatment=treatment,
        practitioner=practitioner,
        patient=record,
        sessions=len(starts),
        spacing_days=treatment.course_spacing_days,
        price=treatment.course_price,
    )
    appointments = []
    for number, (starts_at, ends_at) in enumerate(zip(starts, ends, strict=True), start=1):
        try:
            appointments.append(
                _insert(
                    key_hash=key_hash if number == 1 else "",
                    values={
                        **appointment_values(
                            treatment=treatment,
                            practitioner=practitioner,
                            starts_at=starts_at,
                            ends_at=ends_at,
                            status=status,
                            source=source,
                            record=record,
                            patient=patient,
                            now=now,
                            privacy_notice_version=privacy_notice_version,
                        ),
                        "course": course,
                        "course_session": number,
                    },
                )
            )
        except SlotTakenError as error:
            local = starts_at.astimezone(clinic_zone())
            raise CourseSessionTakenError(
                f"Session {number} ({local:%a %-d %b at %H:%M}) was booked by someone else "
                "a moment ago, so nothing was booked.",
                number=number,
                starts_at=starts_at,
            ) from error
    _announce_course(course=course, appointments=appointments, now=now, by=by)
    return course


def _announce_course(
    *, course: Course, appointments: list[AppointmentRequest], now: datetime, by
) -> None:
    """The history of each session; one e-mail for the course (the first session's, listing all)."""
    first = appointments[0]
    online = first.source == AppointmentRequest.Source.ONLINE
    for appointment in appointments:
        status_change_record(
            appointment=appointment,
            from_status="",
            to_status=appointment.status,
            now=now,
            by=by,
            note=(
                f"Booked online, session {appointment.course_session} of {course.sessions}"
                if online
                else f"Booked by staff, session {appointment.course_session} of {course.sessions}"
            ),
        )
        signals.appointment_booked.send(sender=None, appointment=appointment, now=now)
    if online:
        kind = (
            NotificationKind.CONFIRMED
            if first.status == AppointmentStatus.CONFIRMED
            else NotificationKind.REQUEST_RECEIVED
        )
        queue_notification(appointment=first, kind=kind)
        queue_notification(appointment=first, kind=NotificationKind.CLINIC_NEW_REQUEST)
    else:
        queue_notification(appointment=first, kind=NotificationKind.CONFIRMED)
    on_commit_availability_changed(course.practitioner_id)


# --- The patient's side: the rest of a course --------------------------------------


@dataclass(frozen=True)
class CourseRest:
    """What "cancel the rest of the course" does: the sessions it cancels, and those it leaves."""

    cancellable: list[AppointmentRequest]  # still to come, outside the late-change window
    too_soon: list[AppointmentRequest]  # still to come, inside it: the patient must phone


def course_rest(*, course_id: int, now: datetime, lock: bool = False) -> CourseRest:
    """The course's active sessions still to come, split by the late-change window."""
    sessions = AppointmentRequest.objects.filter(
        course_id=course_id, status__in=ACTIVE_STATUSES, starts_at__gt=now
    ).order_by("course_session")
    if lock:
        sessions = sessions.select_for_update()
    window_from = late_cancellation_from(now=now)
    cancellable, too_soon = [], []
    for session in sessions:
        (too_soon if session.starts_at < window_from else cancellable).append(session)
    return CourseRest(cancellable=cancellable, too_soon=too_soon)


@transaction.atomic
def course_cancel_rest(*, appointment_id: int, now: datetime) -> CourseRest:
    """Cancel every session of the appointment's course still to come, as the patient asked.

    Each session is cancelled by the same service as one appointment, so each
    frees its time (and the waitlist hears of it) and the clinic is told. A
    session inside the late-change window is left for the patient to phone
    about; when every session still to come is inside it, nothing changes and
    CancellationWindowError says so. The patient gets one e-mail listing the
    sessions cancelled: the others are recorded as covered by it.
    """
    appointment = AppointmentRequest.objects.filter(pk=appointment_id).first()
    if appointment is None:
        raise LinkExpiredError("This link is not valid.")
    if appointment.course_id is None:
        raise BookingError("This appointment is not part of a course.")
    rest = course_rest(course_id=appointment.course_id, now=now, lock=True)
    if not rest.cancellable:
        if rest.too_soon:
            raise CancellationWindowError(
                "The sessions left start too soon to cancel online. Please phone the clinic."
            )
        raise BookingError("No sessions of this course are left to cancel.")
    for session in rest.cancellable:
        appointment_cancel_by_patient(appointment_id=session.pk, now=now)
    emails = list(
        Notification.objects.filter(
            appointment__in=rest.cancellable,
            kind=NotificationKind.CANCELLED,
            status=NotificationStatus.QUEUED,
        ).order_by("appointment__course_session", "pk")
    )
    if len(emails) > 1:
        first, others = emails[0], emails[1:]
        Notification.objects.filter(pk__in=[other.pk for other in others]).update(
            status=NotificationStatus.SKIPPED, last_error=covered_note(first.pk)
        )
    return CourseRest(
        cancellable=list(
            AppointmentRequest.objects.filter(
                pk__in=[session.pk for session in rest.cancellable]
            ).order_by("course_session")
        ),
        too_soon=rest.too_soon,
    )
