"""Undo a status change from the message at the top; correct one later with a reason;
cancel by the clinic only with a reason the patient is shown first."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from booking import services
from booking.errors import BookingError, InvalidTransitionError
from booking.models import (
    AppointmentStatus,
    AppointmentStatusChange,
    Notification,
    StatusChangeKind,
)
from tests.booking.staff_world import build_staff_world

S = AppointmentStatus
CHANGELIST = reverse("admin:booking_appointmentrequest_changelist")
UNDO = reverse("admin:booking_status_undo")


@pytest.fixture
def world(clinic):
    return build_staff_world(timezone.localdate() + timedelta(days=3))


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def undo_ids(response) -> list[str]:
    """The change ids the Undo button in the page's messages would post."""
    html = response.content.decode()
    start = html.index('class="undo-form"')
    form = html[start : html.index("</form>", start)]
    return [part.split('"')[0] for part in form.split('name="change" value="')[1:]]


def started(world, appointment):
    """Put the appointment two hours in the past, so outcomes can be recorded."""
    appointment.starts_at = timezone.now() - timedelta(hours=2)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=45)
    appointment.occupied_until = appointment.ends_at
    appointment.save()
    return appointment


def test_marking_completed_then_pressing_undo_returns_the_earlier_status_and_history_shows_both(
    as_desk, world
):
    appointment = started(world, world.appointment(world.maya, 10, status=S.CONFIRMED))

    response = as_desk.post(
        CHANGELIST,
        {"action": "mark_completed", "_selected_action": [appointment.pk]},
        follow=True,
    )
    appointment.refresh_from_db()
    assert appointment.status == S.COMPLETED
    assert any("marked completed" in text and "Undo" in text for text in texts(response))
    ids = undo_ids(response)
    assert ids == [str(appointment.status_changes.latest("pk").pk)]

    response = as_desk.post(UNDO, {"change": ids, "next": CHANGELIST}, follow=True)

    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED
    assert any("Undone" in text for text in texts(response))
    history = list(appointment.status_changes.order_by("pk"))
    marked, undone = history[-2], history[-1]
    assert (marked.from_status, marked.to_status, marked.kind) == (
        S.CONFIRMED,
        S.COMPLETED,
        "change",
    )
    assert (undone.from_status, undone.to_status, undone.kind) == (S.COMPLETED, S.CONFIRMED, "undo")
    assert undone.undoes == marked
    assert marked.changed_by == undone.changed_by == world.desk
    # The history page shows both, with who did them.
    page = as_desk.get(reverse("admin:booking_appointmentrequest_change", args=[appointment.pk]))
    assert page.content.decode().count(world.desk.username) >= 2


def test_a_change_is_undone_once_only(as_desk, world):
    appointment = started(world, world.appointment(world.maya, 10, status=S.CONFIRMED))
    changed = services.appointment_change_status(
        appointment_id=appointment.pk, to_status=S.NO_SHOW, now=timezone.now(), by=world.desk
    )
    change = changed.status_changes.latest("pk")
    services.status_change_undo(change_id=change.pk, now=timezone.now(), by=world.desk)

    with pytest.raises(InvalidTransitionError, match="undone already"):
        services.status_change_undo(change_id=change.pk, now=timezone.now(), by=world.desk)
    assert AppointmentStatusChange.objects.filter(kind=StatusChangeKind.UNDO).count() == 1


def test_undo_runs_out_after_the_window_and_points_to_a_correction(world, settings):
    settings.BOOKING_UNDO_MINUTES = 10
    appointment = started(world, world.appointment(world.maya, 10, status=S.CONFIRMED))
    now = timezone.now()
    changed = services.appointment_change_status(
        appointment_id=appointment.pk, to_status=S.COMPLETED, now=now, by=world.desk
    )
    change = changed.status_changes.latest("pk")

    with pytest.raises(InvalidTransitionError, match="older than 10 minutes"):
        services.status_change_undo(
            change_id=change.pk, now=now + timedelta(minutes=11), by=world.desk
        )
    # Just inside the window it works.
    services.status_change_undo(change_id=change.pk, now=now + timedelta(minutes=9), by=world.desk)
    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED


def test_undoing_an_arrival_clears_it(world):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED)
    appointment.starts_at = timezone.now() - timedelta(minutes=5)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=45)
    appointment.occupied_until = appointment.ends_at
    appointment.save()
    services.appointment_mark_arrived(
        appointment_id=appointment.pk, now=timezone.now(), by=world.desk
    )
    change = appointment.status_changes.latest("pk")
    assert change.kind == StatusChangeKind.ARRIVAL

    services.status_change_undo(change_id=change.pk, now=timezone.now(), by=world.desk)

    appointment.refresh_from_db()
    assert appointment.arrived_at is None
    assert appointment.status == S.CONFIRMED


def test_undoing_a_cancellation_whose_time_was_booked_since_is_refused_and_changes_nothing(world):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED, email="ann@example.com")
    now = timezone.now()
    services.appointment_change_status(
        appointment_id=appointment.pk,
        to_status=S.CANCELLED_BY_CLINIC,
        now=now,
        by=world.desk,
        note="Maya is ill.",
    )
    change = appointment.status_changes.latest("pk")
    world.appointment(world.maya, 10, status=S.CONFIRMED)  # the freed time is taken

    with pytest.raises(BookingError, match="booked since"):
        services.status_change_undo(change_id=change.pk, now=now, by=world.desk)

    appointment.refresh_from_db()
    assert appointment.status == S.CANCELLED_BY_CLINIC
    assert not AppointmentStatusChange.objects.filter(kind=StatusChangeKind.UNDO).exists()


def test_undoing_a_cancellation_tells_the_patient_the_appointment_stands(world):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED, email="ann@example.com")
    now = timezone.now()
    services.appointment_change_status(
        appointment_id=appointment.pk,
        to_status=S.CANCELLED_BY_CLINIC,
        now=now,
        by=world.desk,
        note="Maya is ill.",
    )
    change = appointment.status_changes.latest("pk")

    services.status_change_undo(change_id=change.pk, now=now, by=world.desk)

    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED
    assert appointment.decline_reason == ""
    kinds = list(
        Notification.objects.filter(appointment=appointment)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["cancelled", "confirmed"]


def test_a_practitioner_cannot_undo_a_change_to_another_practitioners_appointment(client, world):
    appointment = started(world, world.appointment(world.tom, 10, status=S.CONFIRMED))
    changed = services.appointment_change_status(
        appointment_id=appointment.pk, to_status=S.COMPLETED, now=timezone.now(), by=world.desk
    )
    client.force_login(world.maya_user)

    response = client.post(UNDO, {"change": [changed.status_changes.latest("pk").pk]})

    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == S.COMPLETED


@pytest.mark.parametrize("junk", ["x", "\x00", "9" * 40, "1" * 5000, ""])
def test_junk_undo_requests_are_a_404_never_a_500(as_desk, junk):
    assert as_desk.post(UNDO, {"change": [junk]}).status_code == 404


def test_an_undo_never_redirects_off_the_site(as_desk, world):
    appointment = started(world, world.appointment(world.maya, 10, status=S.CONFIRMED))
    changed = services.appointment_change_status(
        appointment_id=appointment.pk, to_status=S.COMPLETED, now=timezone.now(), by=world.desk
    )
    response = as_desk.post(
        UNDO,
        {"change": [changed.status_changes.latest("pk").pk], "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


# --- Correction ----------------------------------------------------------------


def correct_url(appointment):
    return reverse("admin:booking_appointmentrequest_correct_status", args=[appointment.pk])


def test_front_desk_corrects_a_no_show_to_completed_with_a_reason(as_desk, world):
    appointment = started(world, world.appointment(world.maya, 10, status=S.NO_SHOW))

    response = as_desk.post(
        correct_url(appointment),
        {"to_status": S.COMPLETED, "reason": "She came in late; the desk missed it."},
        follow=True,
    )

    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == S.COMPLETED
    change = appointment.status_changes.latest("pk")
    assert change.kind == StatusChangeKind.CORRECTION
    assert change.note == "She came in late; the desk missed it."
    assert change.changed_by == world.desk
    assert not Notification.objects.filter(appointment=appointment).exists()


def test_a_correction_needs_a_reason_and_says_so_next_to_the_field(as_desk, world):
    appointment = started(world, world.appointment(world.maya, 10, status=S.NO_SHOW))

    response = as_desk.post(correct_url(appointment), {"to_status": S.COMPLETED, "reason": " "})

    assert response.status_code == 200
    assert "Say why the status is corrected." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == S.NO_SHOW


@pytest.mark.parametrize(
    "data",
    [
        {"to_status": "\x00", "reason": "x"},
        {"to_status": "completed", "reason": "x" * 5000},
        {"to_status": "9" * 40, "reason": "\x00"},
        {"to_status": "requested", "reason": "Because"},
    ],
)
def test_junk_corrections_get_a_message_never_a_500(as_desk, world, data):
    appointment = started(world, world.appointment(world.maya, 10, status=S.NO_SHOW))

    response = as_desk.post(correct_url(appointment), data)

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == S.NO_SHOW


def test_completed_cannot_be_given_to_an_appointment_that_has_not_started(world):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED)
    with pytest.raises(InvalidTransitionError, match="not started"):
        services.appointment_correct_status(
            appointment_id=appointment.pk,
            to_status=S.COMPLETED,
            reason="Wrong button",
            now=timezone.now(),
            by=world.desk,
        )


# --- Cancelling by the clinic -----------------------------------------------------


def test_the_service_refuses_a_cancellation_by_the_clinic_without_a_reason(world):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED, email="ann@example.com")

    with pytest.raises(InvalidTransitionError, match="give the patient a reason"):
        services.appointment_change_status(
            appointment_id=appointment.pk,
            to_status=S.CANCELLED_BY_CLINIC,
            now=timezone.now(),
            by=world.desk,
            note="   ",
        )

    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED
    assert not Notification.objects.filter(appointment=appointment).exists()


def cancel(client, appointment, **data):
    return client.post(
        CHANGELIST,
        {"action": "cancel_by_clinic", "_selected_action": [appointment.pk], **data},
    )


def test_cancel_from_the_list_without_a_reason_is_refused_next_to_the_field(as_desk, world):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED, email="ann@example.com")

    response = cancel(as_desk, appointment, apply="1", reason="", confirm="1", previewed="")

    assert response.status_code == 200
    assert "Give the patient a reason." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED


def test_cancel_shows_the_patients_email_first_then_sends_it_on_the_second_press(as_desk, world):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED, email="ann@example.com")
    reason = "Maya is unwell today; we are sorry."

    preview = cancel(as_desk, appointment, apply="1", reason=reason)

    page = preview.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED  # nothing happens on the first press
    assert "The e-mail the patient will get" in page
    assert "ann@example.com" in page
    assert reason in page
    assert "manage" not in page.split("email-preview__body")[1].split("</pre>")[0]

    # A reason edited after the preview is shown again, not sent unseen.
    edited = cancel(
        as_desk, appointment, apply="1", reason=reason + " Call us.", previewed=reason, confirm="1"
    )
    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED
    assert reason + " Call us." in edited.content.decode()

    cancel(as_desk, appointment, apply="1", reason=reason, previewed=reason, confirm="1")

    appointment.refresh_from_db()
    assert appointment.status == S.CANCELLED_BY_CLINIC
    assert appointment.decline_reason == reason
    assert Notification.objects.get(appointment=appointment).kind == "cancelled"


def test_the_cancellation_email_gives_the_patient_the_reason(world, mailoutbox):
    from booking.emails import deliver_notification

    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED, email="ann@example.com")
    services.appointment_change_status(
        appointment_id=appointment.pk,
        to_status=S.CANCELLED_BY_CLINIC,
        now=timezone.now(),
        by=world.desk,
        note="The clinic floods.",
    )
    notification = Notification.objects.get(appointment=appointment)
    deliver_notification(notification_id=notification.pk, now=timezone.now())

    [message] = mailoutbox
    assert "The clinic floods." in message.body
    assert "The clinic floods." in message.alternatives[0][0]


@pytest.mark.parametrize("reason", ["\x00", "x" * 5000, "   "])
def test_a_junk_cancellation_reason_gets_a_message_next_to_the_field(as_desk, world, reason):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED, email="ann@example.com")

    response = cancel(as_desk, appointment, apply="1", reason=reason, previewed=reason, confirm="1")

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED


def test_pressing_cancel_and_send_twice_cancels_and_emails_once(as_desk, world):
    appointment = world.appointment(world.maya, 10, status=S.CONFIRMED, email="ann@example.com")
    reason = "Maya is unwell today."

    for _ in range(2):
        cancel(as_desk, appointment, apply="1", reason=reason, previewed=reason, confirm="1")

    appointment.refresh_from_db()
    assert appointment.status == S.CANCELLED_BY_CLINIC
    assert Notification.objects.filter(appointment=appointment).count() == 1
    assert appointment.status_changes.count() == 1
