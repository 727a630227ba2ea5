"""Patients in admin: scoped to the practitioner, found by phone, merged, exported, anonymised."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentRequest, AppointmentStatus, Patient
from tests.booking.intake_world import SAFETY_WORDING, safety_kept
from tests.booking.staff_world import build_staff_world

S = AppointmentStatus
CHANGELIST = reverse("admin:booking_patient_changelist")


@pytest.fixture
def world(clinic):
    return build_staff_world(timezone.localdate() + timedelta(days=3))


@pytest.fixture
def patients(world):
    """Alice is Maya's patient, Bob is Tom's; each has a patient record."""
    alice = Patient.objects.create(
        name="Alice Own", email="alice@example.com", phone="07700 900111", phone_key="07700900111"
    )
    bob = Patient.objects.create(
        name="Bob Other", email="bob@example.com", phone="07700 900999", phone_key="07700900999"
    )
    world.alice_visit = world.appointment(
        world.maya, 9, patient=alice, patient_name="Alice Own", email="alice@example.com"
    )
    world.bob_visit = world.appointment(
        world.tom, 9, patient=bob, patient_name="Bob Other", email="bob@example.com"
    )
    return alice, bob


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


@pytest.fixture
def as_maya(client, world):
    client.force_login(world.maya_user)
    return client


def change_url(patient):
    return reverse("admin:booking_patient_change", args=[patient.pk])


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Who sees which patients --------------------------------------------------------


def test_practitioner_list_shows_only_the_patients_they_treat(as_maya, patients):
    response = as_maya.get(CHANGELIST)
    assert [p.name for p in response.context["cl"].result_list] == ["Alice Own"]


def test_front_desk_list_shows_every_patient(as_desk, patients):
    response = as_desk.get(CHANGELIST)
    assert {p.name for p in response.context["cl"].result_list} == {"Alice Own", "Bob Other"}


def test_practitioner_opening_another_practitioners_patient_gets_not_found(as_maya, patients):
    _alice, bob = patients
    response = as_maya.get(change_url(bob))
    assert response.status_code == 404
    assert "Bob Other" not in response.text


def test_practitioner_sees_only_their_own_appointments_on_a_shared_patients_page(
    as_maya, world, patients
):
    alice, _bob = patients
    world.appointment(world.tom, 11, patient=alice, patient_name="Alice Own", reference="TOM-SEES")

    response = as_maya.get(change_url(alice))

    assert world.alice_visit.reference in response.text
    assert "TOM-SEES" not in response.text


def test_practitioner_autocomplete_finds_only_their_own_patients(as_maya, patients):
    response = as_maya.get(
        reverse("admin:booking_patient_autocomplete"),
        {
            "app_label": "booking",
            "model_name": "appointmentrequest",
            "field_name": "patient",
            "term": "0770",
        },
    )
    assert response.status_code == 200
    texts_ = [result["text"] for result in response.json()["results"]]
    assert texts_ == ["Alice Own · 07700 900111 · alice@example.com"]


# --- Finding a patient ------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["07700900999", "+44 7700 900 999", "0770 0900 999"])
def test_search_finds_a_patient_by_phone_in_any_notation(as_desk, patients, typed):
    response = as_desk.get(CHANGELIST, {"q": typed})
    assert [p.name for p in response.context["cl"].result_list] == ["Bob Other"]


def test_autocomplete_tells_patients_apart_by_phone_email_and_birthday(as_desk, patients):
    alice, _bob = patients
    Patient.objects.filter(pk=alice.pk).update(date_of_birth="1984-03-09")
    response = as_desk.get(
        reverse("admin:booking_patient_autocomplete"),
        {
            "app_label": "booking",
            "model_name": "appointmentrequest",
            "field_name": "patient",
            "term": "alice",
        },
    )
    [result] = response.json()["results"]
    assert result == {
        "id": str(alice.pk),
        "text": "Alice Own · 07700 900111 · alice@example.com · born 9 Mar 1984",
    }


def test_patient_page_lists_every_appointment_with_its_status_and_a_book_again_link(
    as_desk, world, patients
):
    alice, _bob = patients
    world.appointment(
        world.tom, 11, status=S.CANCELLED_BY_PATIENT, patient=alice, reference="CANCELLED-1"
    )

    response = as_desk.get(change_url(alice))

    body = response.text
    assert world.alice_visit.reference in body and "CANCELLED-1" in body
    assert "Cancelled by patient" in body and "Requested" in body
    book_again = response.context["book_again_url"]
    assert f"patient={alice.pk}" in book_again
    assert f"treatment={world.physio.pk}" in book_again
    phone_in = as_desk.get(book_again)
    assert phone_in.context["form"].initial["patient"] == str(alice.pk)


def test_saving_a_patient_stores_the_email_in_lower_case_and_updates_upcoming_visits(
    as_desk, world, patients
):
    alice, _bob = patients
    response = as_desk.post(
        change_url(alice),
        {
            "name": "Alice  Own",
            "email": "Alice.New@Example.com",
            "phone": "0161 496 0000",
            "date_of_birth": "",
            "notes": "Prefers mornings",
            "appointments-TOTAL_FORMS": "0",
            "appointments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    alice.refresh_from_db()
    world.alice_visit.refresh_from_db()
    assert (alice.name, alice.email, alice.phone_key) == (
        "Alice Own",
        "alice.new@example.com",
        "01614960000",
    )
    assert world.alice_visit.email == "alice.new@example.com"


# --- Merging --------------------------------------------------------------------------


def test_merge_asks_which_record_to_keep_then_moves_the_appointments(as_desk, world, patients):
    alice, _bob = patients
    duplicate = Patient.objects.create(name="Alice Own", phone="07700 900111")
    other_visit = world.appointment(world.tom, 11, patient=duplicate)
    data = {"action": "merge", "_selected_action": [alice.pk, duplicate.pk]}

    asked = as_desk.post(CHANGELIST, data)
    assert asked.status_code == 200
    assert "Keep this record" in asked.text
    assert not other_visit.__class__.objects.filter(pk=other_visit.pk, patient=alice).exists()

    done = as_desk.post(CHANGELIST, {**data, "apply": "1", "keep": alice.pk, "index": "0"})

    assert done.status_code == 302
    assert done["Location"] == change_url(alice)
    other_visit.refresh_from_db()
    assert other_visit.patient == alice
    assert not Patient.objects.filter(pk=duplicate.pk).exists()


def test_merge_of_a_single_patient_is_refused_with_a_message(as_desk, patients):
    alice, _bob = patients
    response = as_desk.post(
        CHANGELIST, {"action": "merge", "_selected_action": [alice.pk]}, follow=True
    )
    assert any("two or more patients" in t for t in texts(response))


def test_practitioner_is_not_offered_merging(as_maya, patients):
    response = as_maya.get(CHANGELIST)
    action_form = response.context["action_form"]
    offered = dict(action_form.fields["action"].choices) if action_form else {}
    assert "merge" not in offered
    alice, _bob = patients
    as_maya.post(CHANGELIST, {"action": "merge", "_selected_action": [alice.pk]})
    assert Patient.objects.count() == 2


# --- Per-patient export ------------------------------------------------------------------


def test_export_as_json_holds_the_patients_record_and_every_appointment(as_desk, world, patients):
    alice, _bob = patients
    Patient.objects.filter(pk=alice.pk).update(notes="Left knee")
    AppointmentRequest.objects.filter(pk=world.alice_visit.pk).update(
        answers=safety_kept({"bleeding": True})
    )

    response = as_desk.get(
        reverse("admin:booking_patient_export", args=[alice.pk]), {"format": "json"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "no-store" in response["Cache-Control"]
    assert f"patient-{alice.pk}-" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["patient"]["name"] == "Alice Own"
    assert data["patient"]["staff_notes"] == "Left knee"
    assert [a["reference"] for a in data["appointments"]] == [world.alice_visit.reference]
    # The answers go out as kept: each with the words the patient was asked.
    assert data["appointments"][0]["answers"] == safety_kept({"bleeding": True})
    assert data["appointments"][0]["answers"][0]["question"] == SAFETY_WORDING["bleeding"]
    assert "Bob Other" not in response.content.decode()


def test_export_as_csv_has_a_row_per_appointment_and_defuses_formulas(as_desk, world, patients):
    alice, _bob = patients
    Patient.objects.filter(pk=alice.pk).update(notes="=HYPERLINK(1)")
    world.appointment(world.tom, 11, patient=alice, reference="SECOND")

    response = as_desk.get(
        reverse("admin:booking_patient_export", args=[alice.pk]), {"format": "csv"}
    )

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["reference"] for r in rows] == [world.alice_visit.reference, "SECOND"]
    assert all(r["patient.name"] == "Alice Own" for r in rows)
    assert rows[0]["patient.staff_notes"] == "'=HYPERLINK(1)"


def test_export_of_a_patient_without_appointments_still_has_their_record(as_desk):
    lone = Patient.objects.create(name="Walk In", phone="0161 496 0000")
    response = as_desk.get(
        reverse("admin:booking_patient_export", args=[lone.pk]), {"format": "csv"}
    )
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["patient.name"] == "Walk In"


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_practitioner_cannot_export_a_patient(as_maya, patients, file_format):
    alice, _bob = patients
    url = reverse("admin:booking_patient_export", args=[alice.pk])
    assert as_maya.get(url, {"format": file_format}).status_code == 403


# --- Anonymising one patient -----------------------------------------------------------


def test_anonymise_asks_first_and_then_erases_the_patient(as_desk, world, patients):
    alice, _bob = patients
    AppointmentRequest.objects.filter(pk=world.alice_visit.pk).update(status=S.COMPLETED)
    url = reverse("admin:booking_patient_anonymise", args=[alice.pk])

    asked = as_desk.get(url)
    assert asked.status_code == 200
    alice.refresh_from_db()
    assert alice.name == "Alice Own"

    done = as_desk.post(url, follow=True)

    alice.refresh_from_db()
    world.alice_visit.refresh_from_db()
    assert alice.name == "Anonymised" and alice.anonymised_at is not None
    assert world.alice_visit.patient_name == "Anonymised"
    assert any("erased" in t for t in texts(done))


def test_anonymising_a_patient_with_an_appointment_ahead_says_why_not(as_desk, world, patients):
    alice, _bob = patients
    response = as_desk.post(
        reverse("admin:booking_patient_anonymise", args=[alice.pk]), follow=True
    )
    assert any("still ahead" in t for t in texts(response))
    alice.refresh_from_db()
    assert alice.name == "Alice Own"


def test_practitioner_cannot_anonymise_a_patient(as_maya, world, patients):
    alice, _bob = patients
    response = as_maya.post(reverse("admin:booking_patient_anonymise", args=[alice.pk]))
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.name == "Alice Own"


def test_nobody_deletes_a_patient_in_admin(as_desk, patients):
    alice, _bob = patients
    response = as_desk.get(reverse("admin:booking_patient_delete", args=[alice.pk]))
    assert response.status_code == 403


def test_unknown_patient_pages_are_not_found_not_errors(as_desk):
    for name in ("admin:booking_patient_export", "admin:booking_patient_anonymise"):
        assert as_desk.get(reverse(name, args=[999999])).status_code == 404


@pytest.mark.parametrize("term", ["Alice\x00", "\x00", "7" * 5000, "x" * 5000])
@pytest.mark.parametrize(
    ("url", "extra"),
    [
        (CHANGELIST, {}),
        (reverse("admin:booking_appointmentrequest_changelist"), {}),
        (
            reverse("admin:booking_patient_autocomplete"),
            {"app_label": "booking", "model_name": "appointmentrequest", "field_name": "patient"},
        ),
    ],
)
def test_a_search_with_nul_bytes_or_5000_characters_is_answered_not_a_500(
    as_desk, patients, url, extra, term
):
    key = "term" if "autocomplete" in url else "q"
    assert as_desk.get(url, {key: term, **extra}).status_code == 200


def test_front_desk_adds_a_patient_by_hand_with_the_email_in_lower_case(as_desk, world):
    response = as_desk.post(
        reverse("admin:booking_patient_add"),
        {
            "name": "Walk In",
            "email": "Walk.In@Example.com",
            "phone": "+44 161 496 0000",
            "date_of_birth": "1975-05-06",
            "notes": "",
            "appointments-TOTAL_FORMS": "0",
            "appointments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    patient = Patient.objects.get(name="Walk In")
    assert (patient.email, patient.phone_key) == ("walk.in@example.com", "01614960000")


def test_a_practitioner_cannot_add_a_patient_by_hand(as_maya):
    assert as_maya.get(reverse("admin:booking_patient_add")).status_code == 403
