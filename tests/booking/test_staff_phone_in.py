"""Phone-in booking: returning or new patients, optional e-mail, screening, clashes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from booking.emails import deliver_notification
from booking.intake.questions import kept_values
from booking.models import AppointmentRequest, AppointmentStatus, Notification, Patient, Treatment
from tests.booking.intake_world import SAFETY_WORDING, with_needle_safety
from tests.booking.staff_world import at, build_staff_world

S = AppointmentStatus
SUMMER_DAY = date(2027, 7, 1)
PHONE_IN_URL = reverse("admin:booking_appointmentrequest_phone_in")
ANSWERS = {
    "q-pregnant": "no",
    "q-bleeding": "yes",
    "q-needle_fear": "no",
    "q-implant": "no",
    "q-recent_surgery": "no",
}


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    world.needling = Treatment.objects.create(
        name="Dry needling",
        slug="dry-needling",
        duration_minutes=30,
        buffer_after_minutes=10,
        price=Decimal("50"),
    )
    with_needle_safety(world.needling)
    world.maya.treatments.add(world.needling)
    return world


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


@pytest.fixture
def returning(world):
    patient = Patient.objects.create(
        name="Rita Return", phone="07700 900321", phone_key="07700900321"
    )
    world.appointment(world.tom, 9, day=SUMMER_DAY - timedelta(days=30), patient=patient)
    return patient


def data(world, **overrides):
    values = {
        "treatment": world.physio.pk,
        "practitioner": world.maya.pk,
        "date": "2027-07-01",
        "start_time": "10:00",
        "patient_name": "Phone Phil",
        "phone": "07700 900555",
        "email": "",
        "reason": "Sore knee",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_returning_patient_without_email_is_booked_and_gets_no_emails(
    as_desk, world, returning, mailoutbox
):
    response = as_desk.post(
        PHONE_IN_URL, data(world, patient=returning.pk, patient_name="", phone=""), follow=True
    )

    appointment = AppointmentRequest.objects.get(starts_at=at(SUMMER_DAY, 10))
    assert appointment.patient == returning
    assert (appointment.patient_name, appointment.phone, appointment.email) == (
        "Rita Return",
        "07700 900321",
        "",
    )
    assert appointment.is_new_patient is False
    assert any("has no e-mail address, so they get no e-mails" in t for t in texts(response))
    for notification in appointment.notifications.all():
        deliver_notification(notification_id=notification.pk)
    assert mailoutbox == []
    assert set(appointment.notifications.values_list("status", flat=True)) == {
        Notification.Status.SKIPPED
    }


def test_a_new_patient_without_email_gets_a_record_with_phone_and_birthday(as_desk, world):
    as_desk.post(PHONE_IN_URL, data(world, date_of_birth="1990-04-02"))

    appointment = AppointmentRequest.objects.get(patient_name="Phone Phil")
    record = appointment.patient
    assert (record.name, record.phone_key, record.email) == ("Phone Phil", "07700900555", "")
    assert record.date_of_birth == date(1990, 4, 2)
    assert appointment.is_new_patient is True


def test_a_new_patient_whose_phone_is_known_is_booked_on_the_known_record(
    as_desk, world, returning
):
    as_desk.post(PHONE_IN_URL, data(world, patient_name="Rita Return", phone="+44 7700 900321"))
    assert AppointmentRequest.objects.get(starts_at=at(SUMMER_DAY, 10)).patient == returning
    assert Patient.objects.count() == 1


def test_choosing_a_patient_and_typing_a_new_one_asks_which(as_desk, world, returning):
    response = as_desk.post(PHONE_IN_URL, data(world, patient=returning.pk))
    errors = response.context["form"].errors
    assert {"patient_name", "phone"} <= set(errors)
    assert not AppointmentRequest.objects.filter(starts_at=at(SUMMER_DAY, 10)).exists()


def test_a_new_patient_needs_a_name_and_a_phone(as_desk, world):
    response = as_desk.post(PHONE_IN_URL, data(world, patient_name="", phone=""))
    errors = response.context["form"].errors
    assert "choose a returning patient" in errors["patient_name"][0]
    assert "reach them" in errors["phone"][0]


def test_a_needle_treatment_needs_every_screening_answer(as_desk, world):
    response = as_desk.post(PHONE_IN_URL, data(world, treatment=world.needling.pk))

    errors = response.context["form"].errors
    assert set(ANSWERS) <= set(errors)
    assert "Dry needling needs this answer" in errors["q-bleeding"][0]
    assert not AppointmentRequest.objects.exists()


def test_screening_answers_are_stored_on_the_appointment_not_the_patient(as_desk, world):
    as_desk.post(PHONE_IN_URL, data(world, treatment=world.needling.pk, **ANSWERS))

    appointment = AppointmentRequest.objects.get()
    answers = kept_values(appointment.answers)
    assert answers["bleeding"] is True
    assert answers["pregnant"] is False
    assert len(appointment.answers) == 5
    # Each answer is kept with the words staff read out.
    assert {item["key"]: item["question"] for item in appointment.answers} == SAFETY_WORDING
    assert not hasattr(appointment.patient, "screening")
    assert not hasattr(appointment.patient, "answers")
    assert appointment.safety_flags == ["Bleeding disorder or blood thinners"]


def test_screening_answers_are_not_kept_for_a_treatment_without_needles(as_desk, world):
    as_desk.post(PHONE_IN_URL, data(world, **ANSWERS))
    assert AppointmentRequest.objects.get().answers == []


def test_a_clash_names_the_other_appointments_time_and_offers_nearest_times(as_desk, world):
    world.appointment(world.maya, 10, status=S.CONFIRMED)

    response = as_desk.post(PHONE_IN_URL, data(world, start_time="10:30"))

    error = response.context["form"].non_field_errors()[0]
    assert "Maya Okafor already has an appointment at that time: Thu 1 Jul, 10:00–10:45" in error
    assert "(free again at 11:00)" in error
    offered = [
        (o.practitioner.name, f"{o.starts_at:%H:%M}") for o in response.context["alternatives"]
    ]
    assert ("Maya Okafor", "11:00") in offered
    assert ("Tom Reid", "10:30") in offered
    assert 'name="use_time"' in response.text


def test_booking_one_of_the_nearest_times_keeps_everything_typed(as_desk, world):
    world.appointment(world.maya, 10, status=S.CONFIRMED)
    typed = data(world, start_time="10:30", reason="Sore knee after running")

    as_desk.post(PHONE_IN_URL, {**typed, "use_time": f"{world.tom.pk}@2027-07-01T10:30"})

    appointment = AppointmentRequest.objects.get(patient_name="Phone Phil")
    assert (appointment.practitioner, appointment.starts_at) == (world.tom, at(SUMMER_DAY, 10, 30))
    assert appointment.reason == "Sore knee after running"


def test_the_form_is_prefilled_from_a_schedule_or_book_again_link(as_desk, world, returning):
    response = as_desk.get(
        PHONE_IN_URL,
        {
            "treatment": world.needling.pk,
            "practitioner": world.maya.pk,
            "date": "2027-07-01",
            "start_time": "11:15",
            "patient": returning.pk,
        },
    )
    form = response.context["form"]
    assert form.initial == {
        "treatment": str(world.needling.pk),
        "practitioner": str(world.maya.pk),
        "date": "2027-07-01",
        "start_time": "11:15",
        "patient": str(returning.pk),
    }
    assert "Rita Return" in response.text  # the chosen patient shows in the lookup


@pytest.mark.parametrize(
    "query",
    [
        {"patient": "abc"},
        {"patient": "1" * 40},
        {"treatment": "x" * 5000},
        {"start_time": "\x00"},
        {"date": "9999-99-99", "practitioner": "-1"},
    ],
)
def test_strange_prefill_values_are_ignored_not_a_500(as_desk, world, query):
    response = as_desk.get(PHONE_IN_URL, query)
    assert response.status_code == 200


def test_a_start_time_is_read_on_the_24_hour_clock(as_desk, world):
    response = as_desk.post(PHONE_IN_URL, data(world, start_time="2:30 pm"))
    assert "like 14:30" in response.context["form"].errors["start_time"][0]
    as_desk.post(PHONE_IN_URL, data(world, start_time="11:45"))
    assert AppointmentRequest.objects.get().starts_at == at(SUMMER_DAY, 11, 45)


@pytest.mark.parametrize("field", ["patient_name", "phone", "email", "reason", "patient"])
def test_five_thousand_characters_in_any_field_is_a_form_error_not_a_500(as_desk, world, field):
    response = as_desk.post(PHONE_IN_URL, data(world, **{field: "7" * 5000}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not AppointmentRequest.objects.exists()
