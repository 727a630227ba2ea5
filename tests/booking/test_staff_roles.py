"""The two staff roles: a practitioner never sees another practitioner's patients."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentStatus, Notification
from booking.services import appointment_change_status
from tests.booking.staff_world import build_staff_world, staff_user

CHANGELIST = reverse("admin:booking_appointmentrequest_changelist")


@pytest.fixture
def world(clinic):
    return build_staff_world(timezone.localdate() + timedelta(days=3))


@pytest.fixture
def two_patients(world):
    """Alice sees Maya, Bob sees Tom."""
    alice = world.appointment(world.maya, 9, patient_name="Alice Own", email="alice@example.com")
    bob = world.appointment(
        world.tom, 9, patient_name="Bob Other", email="bob@example.com", phone="07700 900999"
    )
    return alice, bob


@pytest.fixture
def as_maya(client, world):
    client.force_login(world.maya_user)
    return client


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


def change_url(appointment):
    return reverse("admin:booking_appointmentrequest_change", args=[appointment.pk])


# --- The roles migration -------------------------------------------------------


def apply_roles_migration():
    """Run the data migration's forward step, as `migrate` does (idempotent).

    Tests that flush the database (browser tests) also drop the groups, so the
    migration is run here rather than trusting whatever state the database is in.
    """
    import importlib

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    roles = importlib.import_module("clinic.migrations.0002_staff_roles")
    state = MigrationExecutor(connection).loader.project_state(("clinic", "0002_staff_roles"))
    with connection.schema_editor() as editor:
        roles.create_roles(state.apps, editor)


@pytest.mark.django_db
def test_roles_migration_creates_front_desk_and_practitioner_groups():
    apply_roles_migration()
    desk = set(Group.objects.get(name="Front desk").permissions.values_list("codename", flat=True))
    practitioner = set(
        Group.objects.get(name="Practitioner").permissions.values_list("codename", flat=True)
    )
    assert {"add_appointmentrequest", "change_appointmentrequest", "change_timeslot"} <= desk
    assert {"change_clinicprofile", "add_treatment", "delete_timeslot"} <= desk
    assert {"view_appointmentrequest", "change_weeklyavailability"} <= practitioner
    assert "add_treatment" not in practitioner
    assert "change_clinicprofile" not in practitioner
    assert "delete_appointmentrequest" not in desk | practitioner


# --- Practitioner: list, search, direct URL, autocomplete, export -------------------


def test_practitioner_list_shows_only_their_own_patients(as_maya, two_patients):
    response = as_maya.get(CHANGELIST)
    assert response.status_code == 200
    assert "Alice Own" in response.text
    assert "Bob Other" not in response.text


def test_front_desk_list_shows_every_practitioners_patients(as_desk, two_patients):
    response = as_desk.get(CHANGELIST)
    assert "Alice Own" in response.text
    assert "Bob Other" in response.text


@pytest.mark.parametrize("term", ["Bob", "bob@example.com", "900999"])
def test_practitioner_search_never_finds_another_practitioners_patient(as_maya, two_patients, term):
    response = as_maya.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    assert "Bob Other" not in response.text
    assert response.context["cl"].result_count == 0


def test_practitioner_search_by_reference_of_another_patient_finds_nothing(as_maya, two_patients):
    _alice, bob = two_patients
    response = as_maya.get(CHANGELIST, {"q": bob.reference})
    assert response.context["cl"].result_count == 0


@pytest.mark.parametrize("suffix", ["change/", "history/", "delete/"])
def test_practitioner_guessing_another_practitioners_appointment_url_gets_404(
    as_maya, two_patients, suffix
):
    _alice, bob = two_patients
    url = reverse("admin:booking_appointmentrequest_changelist") + f"{bob.pk}/{suffix}"
    response = as_maya.get(url)
    assert response.status_code == 404
    assert "Bob Other" not in response.text


def test_practitioner_opens_their_own_appointment(as_maya, two_patients):
    alice, _bob = two_patients
    response = as_maya.get(change_url(alice))
    assert response.status_code == 200
    assert "Alice Own" in response.text


def test_practitioner_action_on_another_practitioners_appointment_changes_nothing(
    as_maya, two_patients
):
    _alice, bob = two_patients
    as_maya.post(CHANGELIST, {"action": "confirm", "_selected_action": [bob.pk]})
    bob.refresh_from_db()
    assert bob.status == AppointmentStatus.REQUESTED


def test_practitioner_autocomplete_never_lists_another_practitioners_patient(as_maya, two_patients):
    response = as_maya.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "booking",
            "model_name": "notification",
            "field_name": "appointment",
            "term": "",
        },
    )
    assert response.status_code == 200
    texts = [result["text"] for result in response.json()["results"]]
    assert any("Alice Own" in text for text in texts)
    assert not any("Bob Other" in text for text in texts)


def test_practitioner_cannot_download_the_csv_export(as_maya, two_patients):
    response = as_maya.get(reverse("admin:booking_appointmentrequest_export"))
    assert response.status_code == 403


def test_practitioner_is_not_offered_the_csv_export_action(as_maya, two_patients):
    alice, bob = two_patients
    response = as_maya.get(CHANGELIST)
    assert "export_csv" not in response.text
    response = as_maya.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [alice.pk, bob.pk]}
    )
    assert response.get("Content-Type", "").startswith("text/html")
    assert "Bob Other" not in response.content.decode()


def test_practitioner_sees_only_their_own_emails_and_status_history(as_maya, world, two_patients):
    alice, bob = two_patients
    for appointment in two_patients:
        Notification.objects.create(
            appointment=appointment, kind="confirmed", for_starts_at=appointment.starts_at
        )
    emails = as_maya.get(reverse("admin:booking_notification_changelist"))
    assert alice.reference in emails.text
    assert bob.reference not in emails.text
    history = as_maya.get(reverse("admin:booking_appointmentstatuschange_changelist"))
    assert history.status_code == 200
    assert bob.reference not in history.text


def test_practitioner_edits_only_their_own_practitioner_record(as_maya, world):
    own = reverse("admin:booking_practitioner_change", args=[world.maya.pk])
    other = reverse("admin:booking_practitioner_change", args=[world.tom.pk])
    assert as_maya.get(own).status_code == 200
    assert as_maya.get(other).status_code == 404
    listing = as_maya.get(reverse("admin:booking_practitioner_changelist"))
    assert "Tom Reid" not in listing.text


def test_practitioner_schedule_shows_only_their_own_column(as_maya, world, two_patients):
    response = as_maya.get(reverse("admin:booking_schedule_day"), {"date": world.day.isoformat()})
    assert response.status_code == 200
    assert "Alice Own" in response.text
    assert "Bob Other" not in response.text
    assert "Tom Reid" not in response.text


def test_practitioner_week_schedule_never_shows_another_practitioners_patient(
    as_maya, world, two_patients
):
    response = as_maya.get(reverse("admin:booking_schedule_week"), {"date": world.day.isoformat()})
    assert "Alice Own" in response.text
    assert "Bob Other" not in response.text


def test_practitioner_week_asking_for_another_practitioner_shows_their_own(
    as_maya, world, two_patients
):
    response = as_maya.get(
        reverse("admin:booking_schedule_week"),
        {"date": world.day.isoformat(), "practitioner": world.tom.pk},
    )
    assert response.context["practitioner"] == world.maya
    assert "Bob Other" not in response.text
    assert "Tom Reid" not in response.text.split('id="content-main"')[1]


def test_practitioner_cannot_open_another_practitioners_appointment_in_the_book(
    as_maya, world, two_patients
):
    bob = two_patients[1]
    for url in (reverse("admin:booking_schedule_day"), reverse("admin:booking_schedule_week")):
        response = as_maya.get(url, {"date": world.day.isoformat(), "open": bob.pk})
        assert response.status_code == 200
        assert response.context["panel"] is None
        assert "Bob Other" not in response.text


def test_practitioner_front_page_book_shows_only_their_own_column(as_maya, world, two_patients):
    response = as_maya.get(reverse("admin:index"))
    book = response.text.split('id="today-book"')[1].split("</section>")[0]
    assert "Tom Reid" not in book
    assert "Bob Other" not in response.text


def test_every_json_and_form_the_book_calls_refuses_another_practitioners_appointment(
    as_maya, world, two_patients
):
    """Drag to move (JSON), undo, correct, marks and the reasoned actions."""
    bob = two_patients[1]
    appointment_change_status(
        appointment_id=bob.pk, to_status="confirmed", now=timezone.now(), by=world.desk
    )
    change = bob.status_changes.latest("pk")
    calls = [
        (
            reverse("admin:booking_appointmentrequest_move", args=[bob.pk]),
            {"choice": f"{world.tom.pk}@{world.day.isoformat()}T12:00"},
        ),
        (reverse("admin:booking_status_undo"), {"change": change.pk}),
        (
            reverse("admin:booking_appointmentrequest_correct_status", args=[bob.pk]),
            {"to_status": "completed", "reason": "x"},
        ),
        (reverse("admin:booking_today_mark", args=[bob.pk]), {"mark": "arrived"}),
    ]
    for url, data in calls:
        response = as_maya.post(url, data, HTTP_ACCEPT="application/json")
        assert response.status_code == 404, url
        assert "Bob Other" not in response.text
    for action in ("cancel_by_clinic", "decline"):
        as_maya.post(
            reverse("admin:booking_appointmentrequest_changelist"),
            {
                "action": action,
                "_selected_action": [bob.pk],
                "apply": "1",
                "reason": "x",
                "previewed": "x",
                "confirm": "1",
            },
        )
    bob.refresh_from_db()
    assert bob.status == "confirmed"
    assert bob.starts_at.date() == world.day
    assert bob.status_changes.count() == 1


def test_front_desk_csv_export_follows_the_lists_filter(as_desk, world, two_patients):
    url = reverse("admin:booking_appointmentrequest_export")
    response = as_desk.get(url, {"practitioner__id__exact": world.tom.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert "Bob Other" in body
    assert "Alice Own" not in body


def test_front_desk_export_action_downloads_the_selected_rows(as_desk, two_patients):
    alice, bob = two_patients
    response = as_desk.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [alice.pk, bob.pk]}
    )
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert "Alice Own" in body and "Bob Other" in body


def test_csv_export_defuses_spreadsheet_formulas(as_desk, world):
    world.appointment(world.maya, 11, patient_name='=HYPERLINK("http://evil")')
    response = as_desk.get(reverse("admin:booking_appointmentrequest_export"))
    assert "'=HYPERLINK" in response.content.decode()


def test_staff_login_without_a_role_sees_no_appointments(client, world, two_patients):
    nobody = staff_user("nobody", None)
    client.force_login(nobody)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:booking_schedule_day")).status_code == 403


def test_practitioner_login_not_linked_to_a_practitioner_sees_nothing(client, world, two_patients):
    unlinked = staff_user("locum", "Practitioner")
    client.force_login(unlinked)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_non_staff_user_is_sent_to_the_admin_login(client, world):
    from django.contrib.auth.models import User

    patient = User.objects.create_user("patient", password="x" * 20)
    client.force_login(patient)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_admin_index_counts_only_the_practitioners_own_waiting_requests(
    as_maya, world, two_patients
):
    world.appointment(world.tom, 11, patient_name="Carol Other")
    response = as_maya.get(reverse("admin:index"))
    assert "1 request waiting for confirmation" in response.text


def test_admin_index_shows_front_desk_every_waiting_request(as_desk, world, two_patients):
    response = as_desk.get(reverse("admin:index"))
    assert "2 requests waiting for confirmation" in response.text
    assert reverse("admin:booking_schedule_day") in response.text


def test_search_finds_a_phone_number_typed_without_spaces(as_desk, two_patients):
    response = as_desk.get(CHANGELIST, {"q": "07700900999"})
    assert [a.patient_name for a in response.context["cl"].result_list] == ["Bob Other"]


def test_practitioner_phone_search_without_spaces_still_finds_only_their_own(as_maya, two_patients):
    response = as_maya.get(CHANGELIST, {"q": "07700900999"})
    assert response.context["cl"].result_count == 0


def test_phone_search_keeps_the_lists_filters(as_desk, world, two_patients):
    response = as_desk.get(
        CHANGELIST, {"q": "07700900999", "practitioner__id__exact": world.maya.pk}
    )
    assert response.context["cl"].result_count == 0


@pytest.mark.parametrize(
    "query", [{"practitioner__id__exact": "abc"}, {"starts_at__year": "x"}, {"nope": "1"}]
)
def test_csv_export_with_a_malformed_filter_is_a_client_error_not_a_500(
    as_desk, two_patients, query
):
    response = as_desk.get(reverse("admin:booking_appointmentrequest_export"), query)
    assert 400 <= response.status_code < 500


def test_change_page_links_front_desk_to_the_patients_access_request(as_desk, two_patients):
    alice, _bob = two_patients
    response = as_desk.get(change_url(alice))
    assert "access-request/?email=alice%40example.com" in response.text


@pytest.mark.django_db
def test_roles_migration_can_be_reversed_and_applied_again():
    import importlib

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    roles = importlib.import_module("clinic.migrations.0002_staff_roles")
    state = MigrationExecutor(connection).loader.project_state(("clinic", "0002_staff_roles"))
    with connection.schema_editor() as editor:
        roles.remove_roles(state.apps, editor)
        assert not Group.objects.filter(name__in=["Front desk", "Practitioner"]).exists()
        roles.create_roles(state.apps, editor)
    assert Group.objects.get(name="Practitioner").permissions.count() == 19
