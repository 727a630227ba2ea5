"""Status actions in admin: each goes through the service, mails, logs who did it."""

import threading
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentStatus, Notification
from tests.booking.staff_world import build_staff_world

S = AppointmentStatus
CHANGELIST = reverse("admin:booking_appointmentrequest_changelist")
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def world(clinic):
    return build_staff_world(timezone.localdate() + timedelta(days=3))


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


@pytest.fixture
def send_at_once(settings):
    """Queued e-mails are sent as soon as the transaction commits."""
    settings.TASKS = IMMEDIATE_TASKS


# A cancellation by the clinic is pressed twice: once to see the e-mail, once to send it.
REASON = "We are closed that day; we are sorry."
CANCEL_CONFIRMED = {"apply": "1", "reason": REASON, "previewed": REASON, "confirm": "1"}


def act(client, action, *appointments, **extra):
    data = {"action": action, "_selected_action": [a.pk for a in appointments], **extra}
    return client.post(CHANGELIST, data, follow=True)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_confirming_a_request_from_the_list_sends_the_confirmation_email(
    as_desk, world, send_at_once, mailoutbox, django_capture_on_commit_callbacks
):
    request = world.appointment(world.maya, 10, email="pat@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = act(as_desk, "confirm", request)

    request.refresh_from_db()
    assert request.status == S.CONFIRMED
    assert any("marked confirmed" in text for text in texts(response))
    [message] = mailoutbox
    assert message.to == ["pat@example.com"]
    assert request.reference in message.body


def test_confirming_records_the_acting_staff_member_in_the_status_history(as_desk, world):
    request = world.appointment(world.maya, 10)

    act(as_desk, "confirm", request)

    change = request.status_changes.get()
    assert (change.from_status, change.to_status) == (S.REQUESTED, S.CONFIRMED)
    assert change.changed_by == world.desk
    assert LogEntry.objects.filter(object_id=str(request.pk), user=world.desk).exists()


def test_confirming_an_already_cancelled_request_shows_a_message_and_changes_nothing(
    as_desk, world
):
    cancelled = world.appointment(world.maya, 10, status=S.CANCELLED_BY_PATIENT)

    response = act(as_desk, "confirm", cancelled)

    assert response.status_code == 200
    cancelled.refresh_from_db()
    assert cancelled.status == S.CANCELLED_BY_PATIENT
    assert any("cancelled by patient and cannot be marked confirmed" in t for t in texts(response))
    assert not Notification.objects.filter(appointment=cancelled).exists()


def test_a_mixed_selection_confirms_the_valid_rows_and_reports_the_others(as_desk, world):
    good = world.appointment(world.maya, 10)
    declined = world.appointment(world.tom, 10, status=S.DECLINED)

    response = act(as_desk, "confirm", good, declined)

    good.refresh_from_db()
    declined.refresh_from_db()
    assert (good.status, declined.status) == (S.CONFIRMED, S.DECLINED)
    messages = texts(response)
    assert any(good.reference in t and "marked confirmed" in t for t in messages)
    assert any(declined.reference in t and "cannot be marked" in t for t in messages)


def test_decline_asks_for_the_reason_before_changing_anything(as_desk, world):
    request = world.appointment(world.maya, 10)

    response = as_desk.post(CHANGELIST, {"action": "decline", "_selected_action": [request.pk]})

    assert response.status_code == 200
    assert "Reason given to the patient" in response.text
    request.refresh_from_db()
    assert request.status == S.REQUESTED


def test_decline_without_a_reason_shows_a_form_error(as_desk, world):
    request = world.appointment(world.maya, 10)

    response = as_desk.post(
        CHANGELIST,
        {"action": "decline", "_selected_action": [request.pk], "apply": "1", "reason": " "},
    )

    assert response.status_code == 200
    assert "Give the patient a reason." in response.text
    request.refresh_from_db()
    assert request.status == S.REQUESTED


def test_decline_with_a_reason_stores_it_and_mails_it_to_the_patient(
    as_desk, world, send_at_once, mailoutbox, django_capture_on_commit_callbacks
):
    request = world.appointment(world.maya, 10)
    reason = "Dry needling is not suitable while you take blood thinners."

    with django_capture_on_commit_callbacks(execute=True):
        act(as_desk, "decline", request, apply="1", reason=reason)

    request.refresh_from_db()
    assert request.status == S.DECLINED
    assert request.decline_reason == reason
    [message] = mailoutbox
    assert "blood thinners" in message.body


YESTERDAY = timezone.localdate() - timedelta(days=1)


@pytest.mark.parametrize(
    ("action", "start", "day", "end"),
    [
        ("cancel_by_clinic", S.CONFIRMED, None, S.CANCELLED_BY_CLINIC),
        # An outcome is only recorded once the appointment has started.
        ("mark_completed", S.CONFIRMED, YESTERDAY, S.COMPLETED),
        ("mark_no_show", S.CONFIRMED, YESTERDAY, S.NO_SHOW),
        ("cancel_by_clinic", S.REQUESTED, None, S.CANCELLED_BY_CLINIC),
    ],
)
def test_each_status_action_moves_the_appointment_through_the_service(
    as_desk, world, action, start, day, end
):
    appointment = world.appointment(world.maya, 10, status=start, day=day)

    act(as_desk, action, appointment, **(CANCEL_CONFIRMED if action == "cancel_by_clinic" else {}))

    appointment.refresh_from_db()
    assert appointment.status == end
    assert appointment.status_changes.get().changed_by == world.desk


def test_cancelling_by_the_clinic_queues_the_cancellation_email(as_desk, world):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED)

    act(as_desk, "cancel_by_clinic", appointment, **CANCEL_CONFIRMED)

    assert Notification.objects.get(appointment=appointment).kind == "cancelled"
    appointment.refresh_from_db()
    assert appointment.decline_reason == REASON


def test_marking_a_request_completed_before_confirming_is_refused(as_desk, world):
    request = world.appointment(world.maya, 10)

    response = act(as_desk, "mark_completed", request)

    request.refresh_from_db()
    assert request.status == S.REQUESTED
    assert any("cannot be marked completed" in t for t in texts(response))


def test_confirm_from_the_appointments_own_page(as_desk, world):
    request = world.appointment(world.maya, 10)
    url = reverse("admin:booking_appointmentrequest_change", args=[request.pk])

    response = as_desk.post(
        url,
        {"CHANGE_FORM-action": "confirm", "_selected_action": [request.pk]},
        follow=True,
    )

    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == S.CONFIRMED


def test_decline_from_the_appointments_own_page_asks_for_the_reason(as_desk, world):
    request = world.appointment(world.maya, 10)
    url = reverse("admin:booking_appointmentrequest_change", args=[request.pk])

    response = as_desk.post(
        url, {"CHANGE_FORM-action": "decline", "_selected_action": [request.pk]}
    )

    assert "Reason given to the patient" in response.text
    request.refresh_from_db()
    assert request.status == S.REQUESTED


def test_change_page_keeps_time_practitioner_and_status_read_only(as_desk, world):
    request = world.appointment(world.maya, 10)
    url = reverse("admin:booking_appointmentrequest_change", args=[request.pk])
    response = as_desk.get(url)
    form = response.context["adminform"].form
    assert "starts_at" not in form.fields
    assert "practitioner" not in form.fields
    assert "status" not in form.fields
    assert "patient_name" in form.fields


def test_change_page_shows_the_screening_answers_read_only(as_desk, world):
    request = world.appointment(world.maya, 10, answers={"blood_thinners": True})
    url = reverse("admin:booking_appointmentrequest_change", args=[request.pk])
    response = as_desk.get(url)
    assert "Blood thinners" in response.text


def test_appointments_cannot_be_deleted_in_admin(as_desk, world):
    request = world.appointment(world.maya, 10)
    url = reverse("admin:booking_appointmentrequest_delete", args=[request.pk])
    assert as_desk.get(url).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_staff_confirming_the_same_request_at_once_one_succeeds_one_is_told(clinic):
    world = build_staff_world(timezone.localdate() + timedelta(days=3))
    request = world.appointment(world.maya, 10)
    barrier = threading.Barrier(2)
    outcomes = {}

    def confirm(user):
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=10)
            response = act(client, "confirm", request)
            outcomes[user.username] = texts(response)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(u,)) for u in (world.desk, world.maya_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    request.refresh_from_db()
    assert request.status == S.CONFIRMED
    assert request.status_changes.count() == 1
    messages = [t for texts_ in outcomes.values() for t in texts_]
    assert sum("1 appointment marked confirmed" in t for t in messages) == 1
    assert sum("is confirmed and cannot be marked confirmed" in t for t in messages) == 1
    assert Notification.objects.filter(appointment=request, kind="confirmed").count() == 1


NOTIFICATIONS = reverse("admin:booking_notification_changelist")


def given_up_email(appointment) -> Notification:
    return Notification.objects.create(
        appointment=appointment,
        kind=Notification.Kind.CONFIRMED,
        for_starts_at=appointment.starts_at,
        status=Notification.Status.GAVE_UP,
        attempts=5,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )


def test_front_desk_sends_a_failed_email_again_and_it_goes_out(
    as_desk, world, send_at_once, mailoutbox, django_capture_on_commit_callbacks
):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED, email="pat@example.com")
    email = given_up_email(appointment)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_desk.post(
            NOTIFICATIONS,
            {"action": "send_again", "_selected_action": [email.pk]},
            follow=True,
        )

    email.refresh_from_db()
    assert "1 e-mail queued to be sent again." in texts(response)
    assert email.status == Notification.Status.SENT
    assert [m.to for m in mailoutbox] == [["pat@example.com"]]


def test_a_practitioner_cannot_send_emails_again(client, world):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED)
    email = given_up_email(appointment)
    client.force_login(world.maya_user)

    response = client.post(NOTIFICATIONS, {"action": "send_again", "_selected_action": [email.pk]})

    email.refresh_from_db()
    assert response.status_code in {200, 403}
    assert email.status == Notification.Status.GAVE_UP
    assert email.attempts == 5
