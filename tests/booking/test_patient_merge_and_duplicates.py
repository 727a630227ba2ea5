"""A merge keeps every phone and e-mail; a new patient like an existing one prompts first.

Through the admin, as front desk and as a practitioner, on PostgreSQL.
"""

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentRequest, Patient
from booking.services import patient_for_details
from tests.booking.booking_world import patient as details
from tests.booking.staff_world import build_staff_world

SUMMER_DAY = date(2027, 7, 1)
CHANGELIST = reverse("admin:booking_patient_changelist")
ADD_URL = reverse("admin:booking_patient_add")
PHONE_IN_URL = reverse("admin:booking_appointmentrequest_phone_in")
AUTOCOMPLETE_URL = reverse("admin:booking_patient_autocomplete")
AUTOCOMPLETE = {"app_label": "booking", "model_name": "appointmentrequest", "field_name": "patient"}


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    return world


@pytest.fixture
def priya(world):
    """Tom's patient Priya Shah, born 3 Feb 1980."""
    patient = Patient.objects.create(
        name="Priya Shah",
        email="priya@example.com",
        phone="07700 900111",
        phone_key="07700900111",
        date_of_birth=date(1980, 2, 3),
    )
    # Seen last month: a past visit, so that she may be anonymised.
    world.appointment(world.tom, 9, day=timezone.localdate() - timedelta(days=30), patient=patient)
    return patient


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


@pytest.fixture
def as_maya(client, world):
    client.force_login(world.maya_user)
    return client


def change_url(patient) -> str:
    return reverse("admin:booking_patient_change", args=[patient.pk])


def patient_form(**overrides) -> dict:
    values = {
        "name": "Priya Shah",
        "email": "",
        "other_emails": "",
        "phone": "07700 900222",
        "other_phones": "",
        "date_of_birth": "",
        "notes": "",
        "appointments-TOTAL_FORMS": "0",
        "appointments-INITIAL_FORMS": "0",
    }
    values.update(overrides)
    return values


def phone_in(world, **overrides) -> dict:
    values = {
        "treatment": world.physio.pk,
        "practitioner": world.maya.pk,
        "date": SUMMER_DAY.isoformat(),
        "start_time": "10:00",
        "patient_name": "Priya Shah",
        "phone": "07700 900222",
        "email": "",
        "reason": "Sore knee",
    }
    values.update(overrides)
    return values


# --- Merging keeps every phone and e-mail ----------------------------------------------


def test_a_merge_keeps_the_second_records_phone_and_email_and_shows_them_on_the_record(
    as_desk, world, priya
):
    second = Patient.objects.create(
        name="Priya Shah",
        email="p.shah@work.example",
        phone="+44 7700 900222",
        phone_key="07700900222",
    )
    world.appointment(world.maya, 11, patient=second)
    selected = {"action": "merge", "_selected_action": [priya.pk, second.pk]}

    done = as_desk.post(CHANGELIST, {**selected, "apply": "1", "keep": priya.pk, "index": "0"})

    assert done.status_code == 302
    priya.refresh_from_db()
    assert (priya.email, priya.phone) == ("priya@example.com", "07700 900111")
    assert priya.other_emails == ["p.shah@work.example"]
    assert priya.other_phones == ["07700900222"]
    page = as_desk.get(change_url(priya)).content.decode()
    assert "Other e-mails" in page and "p.shah@work.example" in page
    assert "Other phones" in page and "07700900222" in page


def test_a_merge_lists_each_other_contact_once_and_never_the_kept_ones_own(as_desk, priya):
    twin = Patient.objects.create(
        name="Priya Shah",
        email="PRIYA@example.com".lower(),
        phone="0044 7700 900111",
        phone_key="07700900111",
        other_emails=["old@example.com"],
        other_phones=["01614960000"],
    )
    third = Patient.objects.create(
        name="P Shah", email="old@example.com", phone="0161 496 0000", phone_key="01614960000"
    )

    as_desk.post(
        CHANGELIST,
        {
            "action": "merge",
            "_selected_action": [priya.pk, twin.pk, third.pk],
            "apply": "1",
            "keep": priya.pk,
        },
    )

    priya.refresh_from_db()
    assert priya.other_emails == ["old@example.com"]
    assert priya.other_phones == ["01614960000"]


def test_a_practitioner_sees_the_other_contacts_of_their_patient_read_only(as_maya, world, priya):
    Patient.objects.filter(pk=priya.pk).update(
        other_emails=["p.shah@work.example"], other_phones=["07700900222"]
    )
    world.appointment(world.maya, 11, patient=priya)

    response = as_maya.get(change_url(priya))

    page = response.content.decode()
    assert "p.shah@work.example" in page and "07700900222" in page
    assert 'name="other_emails"' not in page


def test_staff_find_a_patient_by_another_phone_or_email(as_desk, priya):
    Patient.objects.filter(pk=priya.pk).update(
        other_emails=["p.shah@work.example"], other_phones=["07700900222"]
    )

    by_phone = as_desk.get(CHANGELIST, {"q": "+44 7700 900 222"})
    by_email = as_desk.get(CHANGELIST, {"q": "shah@work"})
    looked_up = as_desk.get(AUTOCOMPLETE_URL, {"term": "07700 900222", **AUTOCOMPLETE})

    assert list(by_phone.context["cl"].result_list) == [priya]
    assert list(by_email.context["cl"].result_list) == [priya]
    assert [r["id"] for r in looked_up.json()["results"]] == [str(priya.pk)]


def test_a_practitioners_phone_in_lookup_never_finds_another_practitioners_patient(as_maya, priya):
    Patient.objects.filter(pk=priya.pk).update(other_phones=["07700900222"])

    looked_up = as_maya.get(AUTOCOMPLETE_URL, {"term": "07700900222", **AUTOCOMPLETE})
    searched = as_maya.get(CHANGELIST, {"q": "07700900222"})

    assert looked_up.json()["results"] == []
    assert list(searched.context["cl"].result_list) == []


def test_the_patients_export_holds_their_other_contacts(as_desk, priya):
    Patient.objects.filter(pk=priya.pk).update(
        other_emails=["p.shah@work.example"], other_phones=["07700900222"]
    )
    response = as_desk.get(
        reverse("admin:booking_patient_export", args=[priya.pk]), {"format": "json"}
    )
    record = json.loads(response.content)["patient"]
    assert record["other_emails"] == ["p.shah@work.example"]
    assert record["other_phones"] == ["07700900222"]


def test_anonymising_erases_the_other_contacts(as_desk, priya):
    Patient.objects.filter(pk=priya.pk).update(
        other_emails=["p.shah@work.example"], other_phones=["07700900222"]
    )
    as_desk.post(reverse("admin:booking_patient_anonymise", args=[priya.pk]))
    priya.refresh_from_db()
    assert priya.anonymised_at is not None
    assert (priya.other_emails, priya.other_phones) == ([], [])


# --- Editing the other contacts ------------------------------------------------------------


def test_front_desk_edits_the_other_contacts_one_a_line_normalised(as_desk, priya):
    response = as_desk.post(
        change_url(priya),
        patient_form(
            email="priya@example.com",
            phone="07700 900111",
            other_emails="P.Shah@Work.example\npriya@example.com, p.shah@work.example",
            other_phones="+44 161 496 0000\n0161 496 0000\n07700 900111",
        ),
    )
    assert response.status_code == 302, response.context["errors"]
    priya.refresh_from_db()
    assert priya.other_emails == ["p.shah@work.example"]
    assert priya.other_phones == ["01614960000"]


@pytest.mark.parametrize("field", ["other_emails", "other_phones"])
@pytest.mark.parametrize(
    ("junk", "says"),
    [
        ("a@example.com\x00", "Null characters are not allowed"),
        ("7" * 5000, "at most 2000 characters"),
        ("ok@example.com\n" + "x" * 300, "Line 2"),
        ("\n".join(f"{n}@example.com" for n in range(11)), "at most 10"),
    ],
    ids=["nul-byte", "5000-characters", "a-bad-line", "too-many"],
)
def test_junk_in_the_other_contacts_is_a_message_beside_the_field_not_a_500(
    as_desk, priya, field, junk, says
):
    response = as_desk.post(
        change_url(priya),
        patient_form(email="priya@example.com", phone="07700 900111", **{field: junk}),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert says in " ".join(errors[field])
    priya.refresh_from_db()
    assert (priya.other_emails, priya.other_phones) == ([], [])


def test_a_phone_number_that_is_not_one_is_named_by_its_line(as_desk, priya):
    response = as_desk.post(
        change_url(priya),
        patient_form(
            email="priya@example.com", phone="07700 900111", other_phones="0161 496 0000\nabc"
        ),
    )
    [message] = response.context["adminform"].form.errors["other_phones"]
    assert message.startswith("Line 2: Enter a phone number")


# --- "Possible duplicate" when front desk adds a patient --------------------------------------


@pytest.mark.parametrize("typed", ["priya  SHAH", " Priya Shah "])
def test_adding_a_patient_with_an_existing_name_asks_first_with_a_link_to_the_record(
    as_desk, priya, typed
):
    response = as_desk.post(ADD_URL, patient_form(name=typed))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Possible duplicate" in page
    assert f'href="{change_url(priya)}"' in page
    assert "This is a different person" in page
    # Everything typed is still in the form.
    assert 'value="07700 900222"' in page
    assert Patient.objects.count() == 1


def test_adding_a_patient_with_the_same_birthday_and_surname_asks_first(as_desk, priya):
    response = as_desk.post(ADD_URL, patient_form(name="P. SHAH", date_of_birth="1980-02-03"))

    assert "Possible duplicate" in response.content.decode()
    assert f'href="{change_url(priya)}"' in response.content.decode()
    assert Patient.objects.count() == 1


def test_the_same_surname_with_another_birthday_is_not_a_duplicate(as_desk, priya):
    response = as_desk.post(ADD_URL, patient_form(name="Ravi Shah", date_of_birth="1981-02-03"))
    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_ticking_different_person_saves_the_new_patient_anyway(as_desk, priya):
    response = as_desk.post(ADD_URL, patient_form(different_person="on"))

    assert response.status_code == 302
    new = Patient.objects.exclude(pk=priya.pk).get()
    assert (new.name, new.phone_key) == ("Priya Shah", "07700900222")


def test_the_add_form_hides_the_tick_until_there_is_a_possible_duplicate(as_desk, priya):
    page = as_desk.get(ADD_URL).content.decode()
    assert "Possible duplicate" not in page
    assert 'type="checkbox" name="different_person"' not in page


def test_an_anonymised_record_is_never_a_possible_duplicate(as_desk, priya):
    Patient.objects.create(name="Ann Lee", anonymised_at=priya.created_at)
    response = as_desk.post(ADD_URL, patient_form(name="Ann Lee"))
    assert response.status_code == 302


# --- "Possible duplicate" on phone-in -------------------------------------------------------------


def test_a_phone_in_for_a_new_patient_with_an_existing_name_asks_first(as_desk, world, priya):
    response = as_desk.post(PHONE_IN_URL, phone_in(world, patient_name="PRIYA shah"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Possible duplicate" in page
    assert f'href="{change_url(priya)}"' in page
    assert "This is a different person" in page
    assert not AppointmentRequest.objects.filter(practitioner=world.maya).exists()


def test_a_phone_in_with_the_same_birthday_and_surname_asks_first(as_desk, world, priya):
    response = as_desk.post(
        PHONE_IN_URL, phone_in(world, patient_name="Pri Shah", date_of_birth="1980-02-03")
    )
    assert "Possible duplicate" in response.content.decode()
    assert not AppointmentRequest.objects.filter(practitioner=world.maya).exists()


def test_a_phone_in_ticked_different_person_books_a_new_record(as_desk, world, priya):
    response = as_desk.post(PHONE_IN_URL, phone_in(world, different_person="on"))

    assert response.status_code == 302
    booked = AppointmentRequest.objects.get(practitioner=world.maya)
    assert booked.patient != priya
    assert booked.patient.name == "Priya Shah"


def test_a_returning_patient_typed_in_with_their_name_and_email_is_not_asked_about(
    as_desk, world, priya
):
    response = as_desk.post(
        PHONE_IN_URL, phone_in(world, email="priya@example.com", phone="07700 900111")
    )
    assert response.status_code == 302
    assert AppointmentRequest.objects.get(practitioner=world.maya).patient == priya


def test_a_practitioner_is_not_told_about_another_practitioners_patient(as_maya, world, priya):
    response = as_maya.post(
        PHONE_IN_URL, phone_in(world, patient_name="Priya Shah", date_of_birth="1980-02-03")
    )

    assert response.status_code == 302
    page = as_maya.get(response["Location"]).content.decode()
    assert "Possible duplicate" not in page
    assert change_url(priya) not in page
    assert AppointmentRequest.objects.get(practitioner=world.maya).patient != priya


def test_a_practitioner_is_asked_about_their_own_patient(as_maya, world, priya):
    world.appointment(world.maya, 12, day=SUMMER_DAY - timedelta(days=10), patient=priya)

    response = as_maya.post(PHONE_IN_URL, phone_in(world, patient_name="Priya Shah"))

    assert response.status_code == 200
    assert f'href="{change_url(priya)}"' in response.content.decode()


@pytest.mark.parametrize("junk", ["Priya\x00 Shah", "P" * 5000])
def test_junk_in_the_new_patients_name_is_a_form_error_not_a_500(as_desk, world, priya, junk):
    response = as_desk.post(PHONE_IN_URL, phone_in(world, patient_name=junk))
    assert response.status_code == 200
    assert response.context["form"].errors["patient_name"]


def test_a_phone_in_ticked_different_person_is_not_left_marked_as_a_possible_match(
    as_desk, world, priya
):
    as_desk.post(PHONE_IN_URL, phone_in(world, different_person="on"))

    booked = AppointmentRequest.objects.get(practitioner=world.maya)
    assert booked.patient.possible_match is None


# --- Online bookings: flagged for front desk, never held back ---------------------------------


@pytest.mark.parametrize("name", ["Priya Shah", "priya  SHAH"])
def test_an_online_booking_under_an_existing_name_gets_its_own_record_marked_possible_match(
    world, priya, name
):
    record = patient_for_details(
        details=details(name=name, email="new@example.com", phone="0161 496 0000")
    )

    assert record != priya
    assert record.possible_match == priya


def test_an_online_booking_under_a_new_name_and_new_contacts_is_not_marked(world, priya):
    record = patient_for_details(
        details=details(name="Ravi Shah", email="ravi@example.com", phone="0161 496 0000")
    )
    assert record.possible_match is None


def test_front_desk_compares_a_same_name_match_with_the_names_shown_as_the_same(
    as_desk, world, priya
):
    record = patient_for_details(
        details=details(name="Priya Shah", email="new@example.com", phone="0161 496 0000")
    )

    page = as_desk.get(change_url(record)).content.decode()
    compare = as_desk.get(reverse("admin:booking_patient_match", args=[record.pk]))

    assert "the same name" in page and "Compare with Priya Shah" in page
    assert compare.status_code == 200
    assert "(the same)" in compare.content.decode()
