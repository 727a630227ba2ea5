import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse

from booking.emails import deliver_notification
from booking.links import manage_token
from booking.models import AppointmentStatus, Notification, NotificationKind, NotificationStatus
from booking.notifications import queue_notification

Kind = NotificationKind
LONDON = ZoneInfo("Europe/London")
# 09:30 in London in July is 08:30 UTC: e-mails must show the clinic's time.
STARTS = datetime(2027, 7, 1, 9, 30, tzinfo=LONDON)
NOW = datetime(2027, 6, 20, 12, 0, tzinfo=UTC)

PATIENT_KINDS = [
    Kind.REQUEST_RECEIVED,
    Kind.CONFIRMED,
    Kind.DECLINED,
    Kind.CANCELLED,
    Kind.RESCHEDULED,
    Kind.REMINDER,
]
# The status an appointment has when each e-mail is sent.
STATUS_FOR_KIND = {
    Kind.REQUEST_RECEIVED: AppointmentStatus.REQUESTED,
    Kind.CONFIRMED: AppointmentStatus.CONFIRMED,
    Kind.DECLINED: AppointmentStatus.DECLINED,
    Kind.CANCELLED: AppointmentStatus.CANCELLED_BY_PATIENT,
    Kind.RESCHEDULED: AppointmentStatus.CONFIRMED,
    Kind.REMINDER: AppointmentStatus.CONFIRMED,
    Kind.CLINIC_NEW_REQUEST: AppointmentStatus.REQUESTED,
}


def send(appointment, kind, *, now=NOW):
    notification = queue_notification(appointment=appointment, kind=kind)
    deliver_notification(notification_id=notification.pk, now=now)
    notification.refresh_from_db()
    return notification


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def calendar_attachments(message) -> list:
    return [part for part in message.message().walk() if part.get_content_type() == "text/calendar"]


def everything_in(message) -> str:
    """Subject, both bodies and every attachment: all a reader could see."""
    parts = [message.subject, message.body, html_of(message)]
    parts += [part.get_content() for part in calendar_attachments(message)]
    return "\n".join(parts)


@pytest.fixture
def make(appointment_factory):
    def make(kind=Kind.REQUEST_RECEIVED, **fields):
        fields.setdefault("status", STATUS_FOR_KIND[kind])
        return appointment_factory(starts_at=STARTS, **fields)

    return make


@pytest.mark.parametrize("kind", PATIENT_KINDS)
def test_patient_email_goes_to_the_patient_with_the_clinic_time_and_reference(
    make, mailoutbox, kind
):
    appointment = make(kind)

    send(appointment, kind)

    [message] = mailoutbox
    assert message.to == ["sam.patel@example.com"]
    assert message.reply_to == ["hello@willowlane.example"]
    for body in (message.body, html_of(message)):
        assert "Willow Lane Physiotherapy" in body
        assert "Dry needling" in body
        assert "Maya Okafor" in body
        assert "Thursday 1 July 2027" in body
        assert "09:30–10:15" in body
        assert "(London time)" in body
        assert "45 minutes" in body
        assert "14 Willow Lane" in body
        assert appointment.reference in body
        assert "01632 960 418" in body


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (Kind.REQUEST_RECEIVED, "We have your request"),
        (Kind.CONFIRMED, "Confirmed"),
        (Kind.DECLINED, "We cannot offer"),
        (Kind.CANCELLED, "Cancelled"),
        (Kind.RESCHEDULED, "New time"),
        (Kind.REMINDER, "Reminder"),
    ],
)
def test_subject_says_what_happened_with_treatment_and_local_time(make, mailoutbox, kind, words):
    send(make(kind), kind)

    subject = mailoutbox[0].subject
    assert subject.startswith(words)
    assert "Thursday 1 July 2027 at 09:30" in subject


@pytest.mark.parametrize("kind", [*PATIENT_KINDS, Kind.CLINIC_NEW_REQUEST])
def test_no_email_contains_the_reason_for_visit_or_screening_answers(make, mailoutbox, kind):
    appointment = make(kind, decline_reason="The practitioner is away that week.")

    send(appointment, kind)

    text = everything_in(mailoutbox[0])
    assert appointment.reason not in text
    assert "neck" not in text
    assert "warfarin" not in text
    assert "blood_thinners" not in text


@pytest.mark.parametrize(
    "kind", [Kind.REQUEST_RECEIVED, Kind.CONFIRMED, Kind.RESCHEDULED, Kind.REMINDER]
)
def test_active_appointment_emails_carry_the_cancellation_policy(make, mailoutbox, clinic, kind):
    send(make(kind), kind)

    message = mailoutbox[0]
    assert clinic.cancellation_policy in message.body
    assert clinic.cancellation_policy in html_of(message)


@pytest.mark.parametrize(
    "kind", [Kind.REQUEST_RECEIVED, Kind.CONFIRMED, Kind.RESCHEDULED, Kind.REMINDER]
)
def test_active_appointment_emails_link_to_the_private_manage_page(
    make, mailoutbox, settings, kind
):
    settings.SITE_URL = "https://willowlane.example"
    appointment = make(kind)

    send(appointment, kind)

    path = reverse("booking:manage", kwargs={"token": manage_token(appointment)})
    link = f"https://willowlane.example{path}"
    assert link in mailoutbox[0].body
    assert f'href="{link}"' in html_of(mailoutbox[0])


@pytest.mark.parametrize(
    ("kind", "event_status"),
    [
        (Kind.REQUEST_RECEIVED, "TENTATIVE"),
        (Kind.CONFIRMED, "CONFIRMED"),
        (Kind.RESCHEDULED, "CONFIRMED"),
        (Kind.CANCELLED, "CANCELLED"),
        (Kind.DECLINED, "CANCELLED"),
    ],
)
def test_calendar_file_is_attached_and_parses_with_the_appointment_status(
    make, mailoutbox, kind, event_status
):
    appointment = make(kind)

    send(appointment, kind)

    [part] = calendar_attachments(mailoutbox[0])
    assert part.get_param("method") == "PUBLISH"
    assert part.get_filename() == f"appointment-{appointment.reference}.ics"
    [event] = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2027, 7, 1, 8, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 7, 1, 9, 15, tzinfo=UTC)
    assert str(event["UID"]).startswith(f"{appointment.reference}@")
    assert str(event["STATUS"]) == event_status


@pytest.mark.parametrize("kind", [Kind.REMINDER, Kind.CLINIC_NEW_REQUEST])
def test_reminder_and_clinic_email_have_no_calendar_file(make, mailoutbox, kind):
    send(make(kind), kind)

    assert calendar_attachments(mailoutbox[0]) == []


def test_declined_email_gives_the_clinics_reason(make, mailoutbox):
    appointment = make(Kind.DECLINED, decline_reason="Dr Okafor is at a course that day.")

    send(appointment, Kind.DECLINED)

    assert "Dr Okafor is at a course that day." in mailoutbox[0].body
    assert "Dr Okafor is at a course that day." in html_of(mailoutbox[0])


def test_cancelled_by_clinic_email_apologises(make, mailoutbox):
    appointment = make(Kind.CANCELLED, status=AppointmentStatus.CANCELLED_BY_CLINIC)

    send(appointment, Kind.CANCELLED)

    assert "we have had to cancel your appointment" in mailoutbox[0].body


def test_patient_name_with_an_apostrophe_is_not_escaped_in_the_text_part(make, mailoutbox):
    send(make(Kind.CONFIRMED, patient_name="Niamh O'Brien"), Kind.CONFIRMED)

    assert "Hello Niamh O'Brien," in mailoutbox[0].body
    assert "Niamh O&#x27;Brien" in html_of(mailoutbox[0])


def test_clinic_email_goes_to_the_bookings_inbox_with_the_essentials_only(make, mailoutbox, clinic):
    clinic.bookings_inbox = "frontdesk@willowlane.example"
    clinic.save()
    appointment = make(Kind.CLINIC_NEW_REQUEST)

    send(appointment, Kind.CLINIC_NEW_REQUEST)

    [message] = mailoutbox
    assert message.to == ["frontdesk@willowlane.example"]
    assert message.subject.startswith(f"New booking {appointment.reference}: Dry needling")
    for body in (message.body, html_of(message)):
        assert "Sam Patel" in body
        assert "Maya Okafor" in body
        assert "09:30–10:15" in body
        assert "sam.patel@example.com" not in body
        assert "07700 900123" not in body


def test_clinic_email_links_to_the_appointment_in_admin(make, mailoutbox, settings):
    settings.SITE_URL = "https://willowlane.example"
    appointment = make(Kind.CLINIC_NEW_REQUEST)

    send(appointment, Kind.CLINIC_NEW_REQUEST)

    path = reverse("admin:booking_appointmentrequest_change", args=[appointment.pk])
    assert f"https://willowlane.example{path}" in mailoutbox[0].body


def test_sent_email_is_recorded_on_its_notification(make, mailoutbox):
    notification = send(make(Kind.CONFIRMED), Kind.CONFIRMED)

    assert notification.status == NotificationStatus.SENT
    assert notification.sent_at == NOW
    assert notification.attempts == 1
    assert notification.last_error == ""


def test_an_email_already_sent_is_not_sent_again(make, mailoutbox):
    notification = send(make(Kind.CONFIRMED), Kind.CONFIRMED)

    assert deliver_notification(notification_id=notification.pk, now=NOW) is None
    assert len(mailoutbox) == 1


def test_reminder_for_a_cancelled_appointment_is_skipped(make, mailoutbox):
    appointment = make(Kind.REMINDER)
    notification = queue_notification(appointment=appointment, kind=Kind.REMINDER)
    appointment.status = AppointmentStatus.CANCELLED_BY_PATIENT
    appointment.save()

    deliver_notification(notification_id=notification.pk, now=NOW)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SKIPPED
    assert "cancelled" in notification.last_error
    assert mailoutbox == []


def test_reminder_for_a_time_the_appointment_has_moved_from_is_skipped(make, mailoutbox):
    appointment = make(Kind.REMINDER)
    notification = queue_notification(appointment=appointment, kind=Kind.REMINDER)
    appointment.starts_at += timedelta(days=1)
    appointment.ends_at += timedelta(days=1)
    appointment.occupied_until += timedelta(days=1)
    appointment.save()

    deliver_notification(notification_id=notification.pk, now=NOW)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SKIPPED
    assert "moved" in notification.last_error
    assert mailoutbox == []


def test_reminder_after_the_appointment_started_is_skipped(make, mailoutbox):
    notification = queue_notification(appointment=make(Kind.REMINDER), kind=Kind.REMINDER)

    deliver_notification(notification_id=notification.pk, now=STARTS + timedelta(minutes=5))

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SKIPPED
    assert mailoutbox == []


def test_confirmation_of_an_appointment_cancelled_before_it_went_out_is_skipped(make, mailoutbox):
    appointment = make(Kind.CONFIRMED)
    notification = queue_notification(appointment=appointment, kind=Kind.CONFIRMED)
    appointment.status = AppointmentStatus.CANCELLED_BY_CLINIC
    appointment.save()

    deliver_notification(notification_id=notification.pk, now=NOW)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SKIPPED
    assert mailoutbox == []


def test_an_older_new_time_email_is_skipped_when_a_newer_one_exists(make, mailoutbox):
    appointment = make(Kind.RESCHEDULED)
    older = queue_notification(appointment=appointment, kind=Kind.RESCHEDULED)
    newer = queue_notification(appointment=appointment, kind=Kind.RESCHEDULED)

    deliver_notification(notification_id=older.pk, now=NOW)
    deliver_notification(notification_id=newer.pk, now=NOW)

    statuses = dict(
        Notification.objects.filter(pk__in=[older.pk, newer.pk]).values_list("pk", "status")
    )
    assert statuses == {older.pk: NotificationStatus.SKIPPED, newer.pk: NotificationStatus.SENT}
    assert len(mailoutbox) == 1


def test_notification_str_names_kind_and_reference(make):
    appointment = make(Kind.CONFIRMED)
    notification = queue_notification(appointment=appointment, kind=Kind.CONFIRMED)

    assert str(notification) == f"Confirmed · {appointment.reference}"


@pytest.mark.parametrize("kind", [*PATIENT_KINDS, Kind.CLINIC_NEW_REQUEST])
def test_html_emails_take_every_colour_from_the_brand_module(make, mailoutbox, kind):
    from clinic.brand import COLOURS

    send(make(kind), kind)

    html = html_of(mailoutbox[0])
    colours = set(re.findall(r"#[0-9a-fA-F]{6}\b", html))
    assert COLOURS["brand"] in colours
    assert colours <= set(COLOURS.values())


# --- staff read an e-mail as the patient did ----------------------------------------------


def test_an_emails_page_names_its_recipient_and_shows_the_html_the_patient_reads(
    client, appointment_factory, settings
):
    from django.contrib.auth.models import User

    settings.SITE_URL = "https://clinic.example"
    appointment = appointment_factory(starts_at=datetime.now(UTC) + timedelta(days=3))
    notification = Notification.objects.create(
        appointment=appointment, kind=NotificationKind.REQUEST_RECEIVED
    )
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))

    page = client.get(reverse("admin:booking_notification_change", args=[notification.pk]))
    shown = client.get(reverse("admin:booking_notification_email", args=[notification.pk]))

    text = page.content.decode()
    assert "sam.patel@example.com" in text and "Show it as sent" in text
    html = shown.content.decode()
    assert shown.status_code == 200 and shown["Content-Type"].startswith("text/html")
    assert "<html" in html.lower() and appointment.reference in html
    assert "https://clinic.example/book/manage/" in html
    policy = shown["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script" not in policy
