"""The e-mails about appointments (and the others'): render, send, record, retry.

deliver_notification() is what the worker runs for each Notification row. The
row is the truth staff see: it says whether the e-mail went out, how often it
was tried and the last error. A failed send is recorded and retried later with
growing pauses (booking.tasks queues the retry at next_try_at(); this module
knows nothing of the queue); after BOOKING_EMAIL_MAX_ATTEMPTS tries it is left
for staff.

No e-mail ever carries health details: templates get the appointment's
logistics only (see _context), never its reason for visit or screening answers.

E-mails that are not about one appointment (the waitlist's, "find my
booking") are written by the part of the site they belong to, which says so
with email_kind_register() from its AppConfig.ready(): this module sends them
like the others without importing their code.
"""

import copy
import email.message
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from booking.formats import email_clinic, patient_status_label, zone_label
from booking.ics import appointment_ics, course_sessions, ics_filename, session_label
from booking.intake.invitations import links_missing
from booking.links import admin_change_url, book_url, ics_url, manage_url
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from clinic.identity import get_clinic
from clinic.validators import single_line

logger = logging.getLogger(__name__)

# The MAILERS alias booking e-mails go through.
MAILER = "default"

# The longest pause between two tries of one e-mail.
MAX_RETRY_DELAY = timedelta(hours=6)


# E-mails that carry the calendar file, so the patient's calendar holds the
# appointment as it stands (tentative, confirmed, moved or cancelled).
KINDS_WITH_CALENDAR = {
    NotificationKind.REQUEST_RECEIVED,
    NotificationKind.CONFIRMED,
    NotificationKind.RESCHEDULED,
    NotificationKind.DECLINED,
    NotificationKind.CANCELLED,
}

# E-mails to the clinic's bookings inbox rather than to the patient.
CLINIC_KINDS = {
    NotificationKind.CLINIC_NEW_REQUEST,
    NotificationKind.CLINIC_CANCELLED,
    NotificationKind.CLINIC_MOVED,
}

# E-mails only worth sending while the appointment is still ahead and in this status.
_STILL_NEEDED_WHILE = {
    NotificationKind.REQUEST_RECEIVED: {AppointmentStatus.REQUESTED},
    NotificationKind.CONFIRMED: {AppointmentStatus.CONFIRMED},
    NotificationKind.RESCHEDULED: {AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED},
    NotificationKind.REMINDER: {AppointmentStatus.CONFIRMED},
    NotificationKind.FORMS_REMINDER: {AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED},
}


@dataclass(frozen=True)
class AppointmentTime:
    """An appointment's time as the patient reads it: in the clinic's zone, zone named."""

    date: str  # "Thursday 1 July 2027"
    starts: str  # "09:30"
    ends: str  # "10:15"
    zone: str  # "London time", as the site writes it
    minutes: int

    @property
    def text(self) -> str:
        return f"{self.date}, {self.starts}–{self.ends} ({self.zone})"


def appointment_time(appointment: AppointmentRequest) -> AppointmentTime:
    zone = ZoneInfo(settings.TIME_ZONE)
    starts = timezone.localtime(appointment.starts_at, zone)
    ends = timezone.localtime(appointment.ends_at, zone)
    return AppointmentTime(
        date=dateformat.format(starts, "l j F Y"),
        starts=dateformat.format(starts, "H:i"),
        ends=dateformat.format(ends, "H:i"),
        zone=zone_label(),
        minutes=int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
    )


# E-mails about a whole course when they are about its first session: the
# booking's confirmation or request, its decline, and the clinic's new booking.
COURSE_WIDE_KINDS = {
    NotificationKind.REQUEST_RECEIVED,
    NotificationKind.CONFIRMED,
    NotificationKind.DECLINED,
    NotificationKind.CLINIC_NEW_REQUEST,
}


@dataclass(frozen=True)
class CourseSession:
    """One line of a course's list of sessions in an e-mail."""

    number: int
    when: AppointmentTime
    status: str  # as the patient reads it: "Confirmed", "Cancelled by you"
    staff_status: str  # as staff read it: "Cancelled by patient"
    is_this: bool  # the session the e-mail is about
    is_active: bool


@dataclass(frozen=True)
class CourseSummary:
    """A course in an e-mail: which session this is, every session, and what was cancelled."""

    reference: str
    total: int
    number: int  # the session the e-mail is about
    label: str  # "session 2 of 4"
    wide: bool  # the e-mail is about the whole course, not one session
    sessions: list[CourseSession]
    cancelled_together: list[int]  # sessions this one cancellation e-mail covers

    @property
    def cancelled_numbers(self) -> str:
        """ "2, 3 and 4" """
        numbers = [str(number) for number in self.cancelled_together]
        if len(numbers) < 2:
            return "".join(numbers)
        return f"{', '.join(numbers[:-1])} and {numbers[-1]}"


def covered_note(notification_pk: int) -> str:
    """The note on an e-mail left unsent because e-mail `notification_pk` says it too."""
    return f"Not sent: e-mail {notification_pk} covers it."


def course_summary(notification: Notification, appointment: AppointmentRequest):
    """The course the appointment is a session of, as e-mails show it; None for one-offs."""
    if appointment.course_id is None or appointment.course_session is None:
        return None
    sessions = course_sessions(appointment)
    together: list[int] = []
    if notification.kind == NotificationKind.CANCELLED and notification.pk is not None:
        covered = set(
            Notification.objects.filter(
                kind=NotificationKind.CANCELLED,
                status=NotificationStatus.SKIPPED,
                last_error=covered_note(notification.pk),
            ).values_list("appointment_id", flat=True)
        )
        if covered:
            together = sorted(
                session.course_session
                for session in sessions
                if session.pk in covered or session.pk == appointment.pk
            )
    return CourseSummary(
        reference=appointment.course.reference,
        total=appointment.course.sessions,
        number=appointment.course_session,
        label=session_label(appointment),
        wide=notification.kind in COURSE_WIDE_KINDS and appointment.course_session == 1,
        sessions=[
            CourseSession(
                number=session.course_session,
                when=appointment_time(session),
                status=patient_status_label(session.status, session.get_status_display()),
                staff_status=session.get_status_display(),
                is_this=session.pk == appointment.pk,
                is_active=session.is_active,
            )
            for session in sessions
        ],
        cancelled_together=together,
    )


@dataclass(frozen=True)
class Rendered:
    subject: str
    to: str
    text: str
    html: str


@dataclass(frozen=True)
class EmailKind:
    """How an e-mail that is not about one appointment is written, and when it is moot.

    render(notification, clinic, now=...) gives the Rendered e-mail;
    not_needed_because(notification, now=...) why it should not go out any more, or "".
    """

    render: Callable[..., Rendered]
    not_needed_because: Callable[..., str]


_EMAIL_KINDS: dict[str, EmailKind] = {}


def rendered_email(kind: str, *, subject: str, to: str, context: dict) -> Rendered:
    """booking/email/<kind>.txt and .html with this context, the subject on one line."""
    context = {**context, "subject": single_line(subject)}
    return Rendered(
        subject=context["subject"],
        to=to,
        text=render_to_string(f"booking/email/{kind}.txt", context),
        html=render_to_string(f"booking/email/{kind}.html", context),
    )


def email_kind_register(
    kinds, *, render: Callable[..., Rendered], not_needed_because: Callable[..., str]
) -> None:
    for kind in kinds:
        _EMAIL_KINDS[kind] = EmailKind(render=render, not_needed_because=not_needed_because)


def _email_kind(notification: Notification) -> EmailKind:
    try:
        return _EMAIL_KINDS[notification.kind]
    except KeyError:
        raise LookupError(f"No e-mail is registered for {notification.kind!r}.") from None


def retry_delay(*, attempts: int) -> timedelta:
    """The pause after the given number of failed tries: 1, 2, 4, 8… times the base."""
    base = timedelta(seconds=settings.BOOKING_EMAIL_RETRY_SECONDS)
    return min(base * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


def next_try_at(*, attempts: int, now: datetime) -> datetime:
    """When an e-mail that has failed `attempts` times is tried again."""
    return now + retry_delay(attempts=attempts)


def deliver_notification(
    *, notification_id: int, now: datetime | None = None
) -> Notification | None:
    """Send one queued e-mail and record the outcome on its Notification row.

    Returns the updated row, or None when there is nothing to do (the row is
    gone, already final, or another worker holds it right now). Never raises
    for a mail failure: the failure is recorded and a retry is scheduled.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the row only (not the appointment, which staff may be editing),
        # and hold it while sending so two workers never send the same e-mail.
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "appointment__treatment",
                "appointment__practitioner",
                "appointment__course",
                "waitlist_entry__treatment",
                "waitlist_entry__practitioner",
                "offer__practitioner",
                "offer__entry__treatment",
                "offer__entry__practitioner",
            )
            .filter(
                pk=notification_id,
                status__in=[NotificationStatus.QUEUED, NotificationStatus.FAILED],
            )
            .first()
        )
        if notification is None:
            return None
        appointment = notification.appointment
        clinic = get_clinic()

        if appointment is None:
            reason_not_needed = _email_kind(notification).not_needed_because(notification, now=now)
        else:
            reason_not_needed = _not_needed_because(notification, appointment, clinic, now=now)
        if reason_not_needed:
            notification.status = NotificationStatus.SKIPPED
            notification.last_error = f"Not sent: {reason_not_needed}."
            notification.save(update_fields=["status", "last_error"])
            return notification

        notification.attempts += 1
        try:
            notification_message(notification, clinic=clinic, now=now).send(using=MAILER)
        except Exception as error:
            _record_failure(notification, error, now=now)
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = now
            notification.last_error = ""
            notification.save(update_fields=["status", "sent_at", "attempts", "last_error"])
        return notification


def notification_message(
    notification: Notification, *, clinic, now: datetime
) -> EmailMultiAlternatives:
    """The e-mail one notification sends (or sent): about an appointment, or the waitlist's."""
    if notification.appointment is None:
        return other_message(notification=notification, clinic=clinic, now=now)
    return build_message(
        notification=notification, appointment=notification.appointment, clinic=clinic, now=now
    )


def _record_failure(notification: Notification, error: Exception, *, now: datetime) -> None:
    notification.last_error = f"{type(error).__name__}: {error}"[:2000]
    if notification.attempts >= settings.BOOKING_EMAIL_MAX_ATTEMPTS:
        notification.status = NotificationStatus.GAVE_UP
        logger.error(
            "E-mail %s gave up after %d attempts: %s",
            notification.pk,
            notification.attempts,
            notification.last_error,
        )
    else:
        notification.status = NotificationStatus.FAILED
        logger.warning(
            "E-mail %s failed (attempt %d), retrying after %s: %s",
            notification.pk,
            notification.attempts,
            next_try_at(attempts=notification.attempts, now=now).isoformat(),
            notification.last_error,
        )
    notification.save(update_fields=["status", "attempts", "last_error"])


def _not_needed_because(
    notification: Notification, appointment: AppointmentRequest, clinic, *, now: datetime
) -> str:
    """Why this e-mail should not go out any more, or "" when it should."""
    kind = notification.kind
    if appointment.anonymised_at is not None:
        return "the patient's details have been removed"
    if kind in CLINIC_KINDS:
        return "" if clinic.inbox else "the clinic profile has no bookings inbox"
    if not appointment.email:
        return "the appointment has no e-mail address"
    statuses = _STILL_NEEDED_WHILE.get(kind)
    if statuses is not None:
        if appointment.status not in statuses:
            return f"the appointment is now {appointment.get_status_display().lower()}"
        if appointment.starts_at <= now:
            return "the appointment has already started"
    if kind == NotificationKind.REMINDER and notification.for_starts_at != appointment.starts_at:
        return "the appointment has moved since this reminder was queued"
    if (
        kind == NotificationKind.FORMS_REMINDER
        and not appointment.intake_invitations.filter(answered_at__isnull=True).exists()
    ):
        return "every pre-visit form has been filled in"
    if kind == NotificationKind.RESCHEDULED and (
        appointment.notifications.filter(
            kind=NotificationKind.RESCHEDULED, pk__gt=notification.pk
        ).exists()
    ):
        return "a newer e-mail announces the latest time"
    return ""


def _subject(
    kind: str, *, treatment: str, when: AppointmentTime, reference: str, course=None
) -> str:
    day = f"{when.date} at {when.starts}"
    if course is not None:
        if course.wide:
            day = f"{course.total} sessions from {day}"
        elif len(course.cancelled_together) > 1:
            day = f"sessions {course.cancelled_numbers} of {course.total}"
        else:
            treatment = f"{treatment}, {course.label}"
    subjects = {
        NotificationKind.REQUEST_RECEIVED: _("We have your request: %(treatment)s, %(day)s"),
        NotificationKind.CONFIRMED: _("Confirmed: %(treatment)s, %(day)s"),
        NotificationKind.DECLINED: _("We cannot offer %(day)s: please choose another time"),
        NotificationKind.CANCELLED: _("Cancelled: %(treatment)s, %(day)s"),
        NotificationKind.RESCHEDULED: _("New time: %(treatment)s, %(day)s"),
        NotificationKind.REMINDER: _("Reminder: %(treatment)s, %(day)s"),
        NotificationKind.FORMS_REMINDER: _("Before your visit: a few questions (%(day)s)"),
        NotificationKind.CLINIC_NEW_REQUEST: _("New booking %(reference)s: %(treatment)s, %(day)s"),
        NotificationKind.CLINIC_CANCELLED: _(
            "Cancelled online %(reference)s: %(treatment)s, %(day)s"
        ),
        NotificationKind.CLINIC_MOVED: _("Moved online %(reference)s: %(treatment)s, now %(day)s"),
    }
    # A header is one line: a stray line break in a name must not break the e-mail.
    return single_line(
        subjects[kind] % {"treatment": treatment, "day": day, "reference": reference}
    )


def _context(
    notification: Notification, appointment: AppointmentRequest, clinic, *, now: datetime
) -> dict[str, object]:
    """Everything a template may show. Deliberately no reason and no screening."""
    when = appointment_time(appointment)
    late_window = timedelta(hours=clinic.late_cancellation_hours)
    return {
        "kind": notification.kind,
        "course": course_summary(notification, appointment),
        "clinic": email_clinic(clinic),
        "reference": appointment.reference,
        "patient_name": appointment.patient_name,
        "treatment": appointment.treatment.name,
        "practitioner": appointment.practitioner.name,
        "when": when,
        "status": appointment.get_status_display(),
        "is_confirmed": appointment.status == AppointmentStatus.CONFIRMED,
        "cancelled_by_clinic": appointment.status == AppointmentStatus.CANCELLED_BY_CLINIC,
        "decline_reason": appointment.decline_reason,
        "manage_url": manage_url(appointment),
        "ics_url": ics_url(appointment),
        # The pre-visit forms still to fill in, each with its private link.
        "intake_links": links_missing(appointment)
        if notification.kind not in CLINIC_KINDS and appointment.is_active
        else [],
        "inside_window": appointment.starts_at - now < late_window,
        "is_request": appointment.status == AppointmentStatus.REQUESTED,
        "is_active": appointment.is_active,
        "admin_url": admin_change_url(appointment),
        "book_url": book_url(),
        "has_calendar": notification.kind in KINDS_WITH_CALENDAR,
        "site_url": settings.SITE_URL,
    }


def from_address(clinic) -> str:
    """DEFAULT_FROM_EMAIL's address under the clinic's own name, as staff set it in admin."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = single_line(clinic.name)
    if not address or not name:
        return settings.DEFAULT_FROM_EMAIL
    username, _at, domain = address.rpartition("@")
    return str(Address(display_name=name, username=username, domain=domain))


def build_message(
    *,
    notification: Notification,
    appointment: AppointmentRequest,
    clinic,
    now: datetime | None = None,
) -> EmailMultiAlternatives:
    """The e-mail for one notification: plain text, HTML and, where useful, the .ics."""
    context = _context(notification, appointment, clinic, now=now or timezone.now())
    kind = notification.kind
    subject = _subject(
        kind,
        treatment=appointment.treatment.name,
        when=context["when"],
        reference=appointment.reference,
        course=context["course"],
    )
    context["subject"] = subject
    text = render_to_string(f"booking/email/{kind}.txt", context)
    html = render_to_string(f"booking/email/{kind}.html", context)

    headers = {"Auto-Submitted": "auto-generated"}
    if kind in CLINIC_KINDS:
        to, reply_to = [clinic.inbox], []
    else:
        to, reply_to = [appointment.email], [clinic.email] if clinic.email else []
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_address(clinic),
        to=to,
        reply_to=reply_to,
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    if kind in KINDS_WITH_CALENDAR:
        message.attach(calendar_part(appointment))
    return message


def cancellation_preview(*, appointment: AppointmentRequest, reason: str) -> EmailMultiAlternatives:
    """The e-mail a clinic cancellation with `reason` would send, for staff to read first.

    Built from a copy that holds no private link, so the preview never shows
    staff the patient's manage token.
    """
    shown = copy.copy(appointment)
    shown.status = AppointmentStatus.CANCELLED_BY_CLINIC
    shown.decline_reason = reason
    shown.manage_token_hash = ""
    return build_message(
        notification=Notification(kind=NotificationKind.CANCELLED),
        appointment=shown,
        clinic=get_clinic(),
    )


def other_message(*, notification: Notification, clinic, now: datetime) -> EmailMultiAlternatives:
    """A waitlist e-mail, or the links of "find my booking": plain text and HTML."""
    rendered = _email_kind(notification).render(notification, clinic, now=now)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=from_address(clinic),
        to=[rendered.to],
        reply_to=[clinic.email] if clinic.email else [],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def calendar_part(appointment: AppointmentRequest) -> email.message.MIMEPart:
    """The .ics as a text/calendar attachment with method=PUBLISH."""
    part = email.message.MIMEPart()
    part.set_content(
        appointment_ics(appointment).decode(),
        subtype="calendar",
        charset="utf-8",
        params={"method": "PUBLISH"},
        disposition="attachment",
        filename=ics_filename(appointment),
    )
    return part
