"""What clinics expect of booking e-mails and calendar files."""

from datetime import timedelta
from email.utils import parseaddr

import icalendar
import pytest
from django.utils import timezone

from booking.emails import deliver_notification
from booking.ics import appointment_ics
from booking.models import AppointmentStatus, Notification, NotificationKind
from booking.notifications import queue_notification
from booking.services import appointment_book, appointment_cancel_by_patient, appointment_reschedule
from clinic.identity import forget_clinic
from clinic.models import ClinicProfile
from tests.booking.booking_world import at, make_world, patient
from tests.booking.test_emails import NOW, STARTS, html_of

Kind = NotificationKind


@pytest.fixture
def make(appointment_factory):
    def make(**fields):
        return appointment_factory(starts_at=fields.pop("starts_at", STARTS), **fields)

    return make


def send(appointment, kind, *, now=NOW):
    notification = queue_notification(appointment=appointment, kind=kind)
    deliver_notification(notification_id=notification.pk, now=now)
    return Notification.objects.get(pk=notification.pk)


def event_of(appointment) -> icalendar.Event:
    return icalendar.Calendar.from_ical(appointment_ics(appointment)).walk("VEVENT")[0]


def test_from_name_is_the_clinics_name_from_its_record(make, mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Clinic <bookings@willowlane.example>"
    ClinicProfile.objects.update(name="Willow Lane Physio & Sports")
    forget_clinic()

    send(make(), Kind.REQUEST_RECEIVED)

    name, address = parseaddr(mailoutbox[0].from_email)
    assert name == "Willow Lane Physio & Sports"
    assert address == "bookings@willowlane.example"


def test_an_old_clinic_name_with_a_line_break_cannot_break_the_from_header(
    make, mailoutbox, settings
):
    ClinicProfile.objects.update(name="Willow Lane\r\nBcc: everyone@example.com")
    forget_clinic()

    notification = send(make(), Kind.REQUEST_RECEIVED)

    assert notification.status == "sent"
    assert "\n" not in mailoutbox[0].from_email
    assert "Bcc" not in str(mailoutbox[0].message()["Bcc"] or "")


def test_times_in_emails_read_london_time_as_on_the_site(make, mailoutbox):
    send(make(status=AppointmentStatus.CONFIRMED), Kind.CONFIRMED)

    assert "09:30–10:15 (London time)" in mailoutbox[0].body
    assert "Europe/London" not in mailoutbox[0].body


def test_request_email_for_a_time_inside_the_late_window_says_call_us(make, mailoutbox, clinic):
    starts = NOW + timedelta(hours=clinic.late_cancellation_hours - 2)

    send(make(starts_at=starts), Kind.REQUEST_RECEIVED)

    for body in (mailoutbox[0].body, html_of(mailoutbox[0])):
        assert "you won't be able to change or cancel it online" in body
        assert clinic.phone in body


def test_request_email_for_a_time_well_ahead_does_not_warn(make, mailoutbox):
    send(make(), Kind.REQUEST_RECEIVED)

    assert "won't be able to change" not in mailoutbox[0].body


def test_calendar_file_names_the_clinic_as_organizer(make, clinic):
    event = event_of(make())

    assert str(event["ORGANIZER"]) == f"mailto:{clinic.email}"
    assert event["ORGANIZER"].params["CN"] == clinic.name


def test_calendar_file_has_a_reminder_alarm(make):
    [alarm] = event_of(make(status=AppointmentStatus.CONFIRMED)).walk("VALARM")

    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(hours=2)


def test_a_cancelled_appointment_has_no_alarm(make):
    assert not event_of(make(status=AppointmentStatus.CANCELLED_BY_PATIENT)).walk("VALARM")


def test_calendar_title_says_requested_only_while_requested(make):
    requested = event_of(make(status=AppointmentStatus.REQUESTED))
    confirmed = event_of(make(status=AppointmentStatus.CONFIRMED))

    assert str(requested["SUMMARY"]).endswith("(requested)")
    assert "requested" not in str(confirmed["SUMMARY"])


def test_a_treatment_name_with_a_line_break_still_sends_its_emails(make, mailoutbox):
    appointment = make()
    appointment.treatment.__class__.objects.filter(pk=appointment.treatment_id).update(
        name="Dry\rneedling"
    )
    appointment.refresh_from_db()

    notification = send(appointment, Kind.REQUEST_RECEIVED)

    assert notification.status == "sent"
    assert mailoutbox[0].subject.startswith("We have your request: Dry needling,")


# --- the clinic inbox hears of online cancellations and moves ---------------------------


@pytest.fixture
def booked(clinic, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    world = make_world()
    world.slot(world.maya, 9, 13)
    now = at(world.day, 7) - timedelta(days=3)
    appointment = appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(),
        now=now,
    )
    return appointment, now


def inbox_mail(mailoutbox, clinic):
    return [m for m in mailoutbox if m.to == [clinic.inbox]]


@pytest.mark.django_db(transaction=True)
def test_clinic_inbox_hears_when_a_patient_cancels_online(booked, mailoutbox, clinic):
    appointment, now = booked
    mailoutbox.clear()

    appointment_cancel_by_patient(appointment_id=appointment.pk, now=now)

    [message] = inbox_mail(mailoutbox, clinic)
    assert message.subject.startswith(f"Cancelled online {appointment.reference}")
    assert "Cancelled online by the patient" in message.body
    assert "cancelled this appointment through their private link" in html_of(message)
    assert appointment.phone not in message.body


@pytest.mark.django_db(transaction=True)
def test_clinic_inbox_hears_when_a_patient_moves_online(booked, mailoutbox, clinic):
    appointment, now = booked
    mailoutbox.clear()

    appointment_reschedule(
        appointment_id=appointment.pk, starts_at=appointment.starts_at + timedelta(hours=1), now=now
    )

    [message] = inbox_mail(mailoutbox, clinic)
    assert message.subject.startswith(f"Moved online {appointment.reference}")
    assert "11:00–11:30 (London time)" in message.body


@pytest.mark.django_db(transaction=True)
def test_a_move_by_staff_sends_the_clinic_no_email(booked, mailoutbox, clinic, django_user_model):
    appointment, now = booked
    staff = django_user_model.objects.create_user("desk", password="x" * 20, is_staff=True)
    mailoutbox.clear()

    appointment_reschedule(
        appointment_id=appointment.pk,
        starts_at=appointment.starts_at + timedelta(hours=1),
        now=now,
        by=staff,
        enforce_policy=False,
    )

    assert not inbox_mail(mailoutbox, clinic)
    assert timezone.localtime(appointment.starts_at).hour == 10


def test_emails_show_the_logo_as_a_png_from_the_sites_address(make, mailoutbox, settings):
    settings.SITE_URL = "https://clinic.example"

    send(make(), Kind.REQUEST_RECEIVED)

    html = html_of(mailoutbox[0])
    assert '<img src="https://clinic.example/static/img/logo-mail.png" width="40"' in html
