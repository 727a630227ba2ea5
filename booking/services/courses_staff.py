"""Courses booked by staff: on the phone, or by repeating an appointment, all or none.

Staff are not held to the online notice period, booking horizon or start
step: any time ahead inside the practitioner's open hours will do. As online,
every session is inserted under the exclusion constraint in one transaction,
and a refused one leaves nothing booked.
"""

import itertools
from datetime import datetime, time, timedelta

from django.db import transaction

from booking import signals
from booking.availability import clinic_zone, local_instant, open_start_times
from booking.caching import on_commit_availability_changed
from booking.errors import BookingError, CourseSessionTakenError, SlotTakenError
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    Course,
    CourseSpacing,
    NotificationKind,
    Practitioner,
    TimeSlot,
    Treatment,
)
from booking.models.courses import MOST_SESSIONS
from booking.notifications import queue_notification
from booking.services.appointments import _check_bookable, _insert
from booking.services.courses import (
    ALTERNATIVE_DAYS,
    ALTERNATIVES_SHOWN,
    SessionPlan,
    _session_day,
)
from booking.services.patients import PatientDetails
from booking.services.status import status_change_record
from booking.tokens import reference_new


def course_session_starts(*, first: datetime, sessions: int, spacing_days: int) -> list[datetime]:
    """The proposed starts of a course from `first`: the same weekday and wall-clock time."""
    return [
        first if number == 1 else _session_day(first, number, spacing_days)
        for number in range(1, sessions + 1)
    ]


def _staff_time_free(
    *, treatment: Treatment, practitioner: Practitioner, starts_at: datetime, now: datetime
) -> bool:
    """Whether staff can put `treatment` at `starts_at`: ahead, inside open hours, unclashed.

    Staff are not held to the online notice or horizon, nor to the start step.
    """
    ends_at = starts_at + timedelta(minutes=treatment.duration_minutes)
    held = ends_at + timedelta(minutes=treatment.buffer_after_minutes)
    if starts_at <= now:
        return False
    in_hours = TimeSlot.objects.filter(
        practitioner=practitioner, is_blocked=False, starts_at__lte=starts_at, ends_at__gte=ends_at
    ).exists()
    clash = (
        AppointmentRequest.objects.active()
        .filter(practitioner=practitioner)
        .overlapping(starts_at=starts_at, occupied_until=held)
        .exists()
    )
    return in_hours and not clash


def _staff_free_around(
    *, treatment: Treatment, practitioner: Practitioner, around: datetime, now: datetime
) -> list[datetime]:
    """The practitioner's free starts for staff in the days around `around`: that day first."""
    zone = clinic_zone()
    day = around.astimezone(zone).date()
    window_start = max(local_instant(day - timedelta(days=ALTERNATIVE_DAYS), time(0), zone), now)
    window_end = local_instant(day + timedelta(days=ALTERNATIVE_DAYS + 1), time(0), zone)
    if window_end <= window_start:
        return []
    starts = {
        moment
        for _pk, moment in open_start_times(
            treatment=treatment,
            practitioner_ids=[practitioner.pk],
            window_start=window_start,
            window_end=window_end,
        )
    }
    return sorted(
        starts,
        key=lambda moment: (
            moment.astimezone(zone).date() != day,
            abs(moment - around),
            moment,
        ),
    )


def course_plan_staff(
    *,
    treatment: Treatment,
    practitioner: Practitioner,
    proposed: list[datetime],
    now: datetime,
    chosen: dict[int, datetime] | None = None,
    first_number: int = 1,
) -> list[SessionPlan]:
    """Staff's plan of sessions at the `proposed` times (numbered from `first_number`).

    As course_plan, but on the staff's terms: any time ahead inside the
    practitioner's open hours, not only the online booking window and step.
    """
    chosen = chosen or {}
    plans = []
    for number, moment in enumerate(proposed, start=first_number):
        wanted = chosen.get(number, moment)
        if _staff_time_free(
            treatment=treatment, practitioner=practitioner, starts_at=wanted, now=now
        ):
            plans.append(SessionPlan(number, moment, wanted))
            continue
        free = _staff_free_around(
            treatment=treatment, practitioner=practitioner, around=wanted, now=now
        )
        plans.append(SessionPlan(number, moment, None, alternatives=free[:ALTERNATIVES_SHOWN]))
    return plans


# Statuses an appointment may be repeated from: it stands, or it has happened.
REPEATABLE = {AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED}


def course_repeat_refusal(*, appointment: AppointmentRequest) -> str:
    """Why staff cannot repeat `appointment` as a course, or "" when they can."""
    reference = appointment.reference
    if appointment.course_id is not None:
        return f"Appointment {reference} is already a session of a course."
    if appointment.anonymised_at is not None:
        return f"Appointment {reference} is anonymised, so it cannot be repeated."
    if appointment.status not in REPEATABLE:
        return (
            f"Appointment {reference} is {appointment.get_status_display().lower()}: "
            "only a confirmed or completed appointment can be repeated."
        )
    return ""


@transaction.atomic
def course_repeat_appointment(
    *,
    appointment_id: int,
    starts: list[datetime],
    spacing_days: int,
    now: datetime,
    by=None,
) -> Course:
    """Book `starts` as more sessions of an appointment, all or none, and make them one course.

    The appointment becomes session 1; the new sessions are confirmed, with the
    same practitioner, treatment and patient details. Each passes the checks of
    a staff booking and is inserted under the exclusion constraint; when one is
    refused, nothing is kept and CourseSessionTakenError names the session.
    The patient gets one e-mail, on the first new session, listing the course.
    """
    appointment = (
        AppointmentRequest.objects.select_for_update(of=("self",))
        .select_related("treatment", "practitioner", "patient")
        .get(pk=appointment_id)
    )
    refusal = course_repeat_refusal(appointment=appointment)
    if refusal:
        raise BookingError(refusal)
    if spacing_days not in CourseSpacing.values:
        raise BookingError("Choose weekly or fortnightly sessions.")
    if not 1 <= len(starts) <= MOST_SESSIONS - 1:
        raise BookingError(f"Repeat an appointment 1 to {MOST_SESSIONS - 1} more times.")
    treatment, practitioner = appointment.treatment, appointment.practitioner
    zone = clinic_zone()
    days = [moment.astimezone(zone).date() for moment in [appointment.starts_at, *starts]]
    if any(later <= earlier for earlier, later in itertools.pairwise(days)):
        raise BookingError("Each session of a course must be on a later day than the one before.")
    details = PatientDetails.of(appointment)
    ends = []
    for starts_at in starts:
        if starts_at <= now:
            raise BookingError("Every new session must be in the future.")
        ends.append(
            _check_bookable(
                treatment=treatment,
                practitioner=practitioner,
                starts_at=starts_at,
                patient=details,
                now=now,
                online=False,
                enforce_policy=False,
                key_hash="",
            )
        )
    sessions = len(starts) + 1
    course = Course.objects.create(
        reference=reference_new(),
        treatment=treatment,
        practitioner=practitioner,
        patient=appointment.patient,
        sessions=sessions,
        spacing_days=spacing_days,
        price=treatment.course_price if treatment.course_sessions == sessions else None,
    )
    appointment.course, appointment.course_session = course, 1
    appointment.save(update_fields=["course", "course_session", "updated_at"])
    added = []
    for number, (starts_at, ends_at) in enumerate(zip(starts, ends, strict=True), start=2):
        try:
            added.append(
                _insert(
                    key_hash="",
                    values=dict(
                        treatment=treatment,
                        practitioner=practitioner,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        occupied_until=ends_at + timedelta(minutes=treatment.buffer_after_minutes),
                        status=AppointmentStatus.CONFIRMED,
                        source=AppointmentRequest.Source.STAFF,
                        patient=appointment.patient,
                        patient_name=appointment.patient_name,
                        email=appointment.email,
                        phone=appointment.phone,
                        is_new_patient=False,
                        reason=appointment.reason,
                        answers=list(appointment.answers),
                        consent_at=appointment.consent_at,
                        privacy_notice_version=appointment.privacy_notice_version,
                        course=course,
                        course_session=number,
                    ),
                )
            )
        except SlotTakenError as error:
            local = starts_at.astimezone(zone)
            raise CourseSessionTakenError(
                f"Session {number} ({local:%a %-d %b at %H:%M}) was booked by someone else "
                "a moment ago, so nothing was booked.",
                number=number,
                starts_at=starts_at,
            ) from error
    for session in added:
        status_change_record(
            appointment=session,
            from_status="",
            to_status=session.status,
            now=now,
            by=by,
            note=f"Booked by staff, session {session.course_session} of {sessions}, "
            f"repeating {appointment.reference}",
        )
        signals.appointment_booked.send(sender=None, appointment=session, now=now)
    queue_notification(appointment=added[0], kind=NotificationKind.CONFIRMED)
    on_commit_availability_changed(appointment.practitioner_id)
    return course
