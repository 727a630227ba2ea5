"""Privacy in the staff workspace: access requests, anonymisation, login throttling."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentRequest, AppointmentStatus, Notification
from booking.services import appointment_change_status
from tests.booking.intake_world import safety_kept
from tests.booking.staff_world import PASSWORD, build_staff_world

S = AppointmentStatus
ACCESS_URL = reverse("admin:booking_appointmentrequest_access_request")


@pytest.fixture
def world(clinic):
    return build_staff_world(timezone.localdate() + timedelta(days=3))


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


# --- Access request ------------------------------------------------------------------


def test_access_request_downloads_everything_stored_about_the_email_as_json(as_desk, world):
    mine = world.appointment(
        world.maya, 9, email="Pat@Example.com", reason="Sore back", answers={"pregnant": False}
    )
    world.appointment(world.tom, 11, email="pat@example.com", patient_name="Pat again")
    world.appointment(world.tom, 14, email="someone.else@example.com", patient_name="Other")
    appointment_change_status(
        appointment_id=mine.pk, to_status=S.CONFIRMED, now=timezone.now(), by=world.desk
    )

    response = as_desk.post(ACCESS_URL, {"email": "pat@example.com", "format": "json"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert [a["reference"] for a in data["appointments"]] == [
        mine.reference,
        AppointmentRequest.objects.get(patient_name="Pat again").reference,
    ]
    first = data["appointments"][0]
    assert first["reason"] == "Sore back"
    assert first["answers"] == safety_kept({"pregnant": False})
    assert first["answers"][0]["question"] == "Are you pregnant, or could you be?"
    assert first["status_history"][0]["to"] == "Confirmed"
    assert first["emails_sent"][0]["kind"] == "Confirmed"
    assert "Other" not in response.content.decode()


def test_access_request_as_csv_has_a_row_per_appointment(as_desk, world):
    world.appointment(world.maya, 9, email="pat@example.com")
    world.appointment(world.tom, 11, email="pat@example.com")

    response = as_desk.post(ACCESS_URL, {"email": "pat@example.com", "format": "csv"})

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 2
    assert rows[0]["email"] == "pat@example.com"


def test_access_request_with_an_invalid_email_shows_a_form_error(as_desk, world):
    response = as_desk.post(ACCESS_URL, {"email": "nope", "format": "json"})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.text


def test_practitioner_cannot_open_the_access_request_page(client, world):
    client.force_login(world.maya_user)
    assert client.get(ACCESS_URL).status_code == 403
    assert client.post(ACCESS_URL, {"email": "a@example.com", "format": "json"}).status_code == 403


# --- Anonymisation -----------------------------------------------------------------


def test_anonymise_replaces_personal_details_of_old_appointments_and_keeps_statistics(world):
    long_ago = timezone.localdate() - timedelta(days=400)
    old = world.appointment(
        world.maya,
        9,
        day=long_ago,
        status=S.COMPLETED,
        reason="Sore back",
        answers={"pregnant": False},
        decline_reason="",
    )
    old.status_changes.create(to_status=S.COMPLETED, changed_at=timezone.now(), note="Sam said hi")
    Notification.objects.create(
        appointment=old, kind="confirmed", for_starts_at=old.starts_at, last_error="sam@x refused"
    )
    LogEntry.objects.create(
        user=world.desk,
        content_type=ContentType.objects.get_for_model(AppointmentRequest),
        object_id=str(old.pk),
        object_repr=str(old),
        action_flag=CHANGE,
    )
    token_hash = old.manage_token_hash

    call_command("anonymise_appointments", "--older-than-days", "365", stdout=io.StringIO())

    old.refresh_from_db()
    assert old.patient_name == "Anonymised"
    assert old.email == "anonymised@invalid.example"
    assert (old.phone, old.reason, old.answers) == ("", "", [])
    assert old.manage_token_hash != token_hash
    assert old.anonymised_at is not None
    assert (old.treatment, old.practitioner, old.status) == (world.physio, world.maya, S.COMPLETED)
    assert old.status_changes.get().note == ""
    assert old.notifications.get().last_error == ""
    assert "Sam" not in LogEntry.objects.get(object_id=str(old.pk)).object_repr


def test_anonymise_leaves_recent_and_future_appointments_alone(world):
    recent = world.appointment(world.maya, 9, day=timezone.localdate() - timedelta(days=10))
    future = world.appointment(world.tom, 9)

    call_command("anonymise_appointments", "--older-than-days", "365", stdout=io.StringIO())

    recent.refresh_from_db()
    future.refresh_from_db()
    assert recent.patient_name == future.patient_name == "Sam Patel"
    assert recent.anonymised_at is None


def test_anonymise_twice_changes_nothing_the_second_time(world):
    old = world.appointment(world.maya, 9, day=timezone.localdate() - timedelta(days=400))
    out = io.StringIO()
    call_command("anonymise_appointments", "--older-than-days", "365", stdout=out)
    old.refresh_from_db()
    first_stamp = old.anonymised_at

    out = io.StringIO()
    call_command("anonymise_appointments", "--older-than-days", "365", stdout=out)

    old.refresh_from_db()
    assert old.anonymised_at == first_stamp
    assert "Anonymised 0 appointments" in out.getvalue()


def test_anonymise_defaults_to_the_retention_setting(world, settings):
    settings.BOOKING_RETENTION_DAYS = 30
    old = world.appointment(world.maya, 9, day=timezone.localdate() - timedelta(days=40))
    call_command("anonymise_appointments", stdout=io.StringIO())
    old.refresh_from_db()
    assert old.anonymised_at is not None


def test_anonymise_refuses_a_retention_under_one_day(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("anonymise_appointments", "--older-than-days", "0")


# --- Login throttling (django-axes) ----------------------------------------------------


def test_admin_login_locks_out_after_too_many_wrong_passwords(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    login = reverse("admin:login")
    for _ in range(2):
        response = client.post(login, {"username": "desk", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(login, {"username": "desk", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    # Even the right password is refused while locked out.
    response = client.post(login, {"username": "desk", "password": PASSWORD})
    assert response.status_code == 429


def test_admin_login_with_the_right_password_works_through_axes(client, world):
    response = client.post(
        reverse("admin:login"),
        {"username": "desk", "password": PASSWORD, "next": reverse("admin:index")},
        follow=True,
    )
    assert response.status_code == 200
    assert response.wsgi_request.user == world.desk
