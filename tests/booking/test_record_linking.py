"""A phone number or an e-mail address never opens or changes someone's patient record.

Bookings join a record only when the name matches too; one that gives a known
e-mail or phone under another name gets a record of its own, marked as a
possible match for front desk. A practitioner's phone-in never joins a record
they could not open before.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from booking.intake.questions import kept_values
from booking.models import AppointmentRequest, Patient
from tests.booking.booking_world import at, make_world
from tests.booking.booking_world import patient as details
from tests.booking.intake_world import SAFETY_KEYS, safety_kept
from tests.booking.staff_world import build_staff_world
from tests.booking.test_booking_flow import confirm_data

pytestmark = pytest.mark.django_db

SUMMER_DAY = date(2027, 7, 1)
PHONE_IN_URL = reverse("admin:booking_appointmentrequest_phone_in")


def change_url(patient) -> str:
    return reverse("admin:booking_patient_change", args=[patient.pk])


# --- A practitioner's phone-in -----------------------------------------------------------


@pytest.fixture
def staff(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    # Tom's patient, with a private history: Maya has never treated her.
    world.victim = Patient.objects.create(
        name="Vera Private",
        email="vera@example.com",
        phone="07700 900777",
        phone_key="07700900777",
        date_of_birth=date(1970, 5, 4),
        notes="Anxious about needles",
    )
    world.appointment(
        world.tom, 9, day=SUMMER_DAY - timedelta(days=20), patient=world.victim, reason="Knee"
    )
    return world


def phone_in(world, **fields) -> dict:
    values = {
        "treatment": world.physio.pk,
        "practitioner": world.maya.pk,
        "date": SUMMER_DAY.isoformat(),
        "start_time": "10:00",
        "patient_name": "Vera Private",
        "phone": "",
        "email": "",
        "reason": "Back pain",
    }
    values.update(fields)
    return values


@pytest.mark.parametrize(
    "contact",
    # A new patient needs a phone: with her e-mail, Maya gives a number of her own.
    [{"phone": "07700 900777"}, {"email": "vera@example.com", "phone": "07700 900001"}],
    ids=["only-her-phone", "only-her-email"],
)
@pytest.mark.parametrize("name", ["Vera Private", "Someone Else"], ids=["her-name", "other-name"])
def test_a_practitioners_phone_in_with_another_practitioners_patients_contact_leaves_her_at_404(
    client, staff, contact, name
):
    client.force_login(staff.maya_user)
    assert client.get(change_url(staff.victim)).status_code == 404

    response = client.post(PHONE_IN_URL, phone_in(staff, patient_name=name, **contact))

    assert response.status_code == 302, response.content.decode()[:2000]
    booked = AppointmentRequest.objects.get(practitioner=staff.maya)
    assert booked.patient != staff.victim
    assert booked.patient.possible_match == staff.victim
    # Maya still cannot open Vera's record, nor find it, nor see the match.
    assert client.get(change_url(staff.victim)).status_code == 404
    found = client.get(reverse("admin:booking_patient_changelist"), {"q": "07700900777"})
    assert "Anxious about needles" not in found.content.decode()
    assert "1970" not in found.content.decode()
    own = client.get(change_url(booked.patient)).content.decode()
    assert "Compare with" not in own and "vera@example.com" not in own.replace(booked.email, "")
    # Nothing on Vera's record changed.
    staff.victim.refresh_from_db()
    assert (staff.victim.name, staff.victim.notes) == ("Vera Private", "Anxious about needles")


def test_front_desk_sees_the_possible_match_and_compares_the_two_records(client, staff):
    client.force_login(staff.maya_user)
    client.post(PHONE_IN_URL, phone_in(staff, patient_name="V. Private", phone="07700 900777"))
    new = AppointmentRequest.objects.get(practitioner=staff.maya).patient
    client.force_login(staff.desk)

    listed = client.get(reverse("admin:booking_patient_changelist"), {"match": "check"})
    page = client.get(change_url(new)).content.decode()
    compare = client.get(reverse("admin:booking_patient_match", args=[new.pk]))

    assert "V. Private" in listed.content.decode()
    assert "Vera Private" not in listed.content.decode()
    assert "Compare with Vera Private" in page
    text = compare.content.decode()
    assert compare.status_code == 200
    for evidence in ("V. Private", "Vera Private", "4 May 1970", "07700 900777", "(the same)"):
        assert evidence in text, evidence


def test_front_desk_merges_a_possible_match_or_keeps_the_two_apart(client, staff):
    client.force_login(staff.maya_user)
    client.post(PHONE_IN_URL, phone_in(staff, patient_name="V. Private", phone="07700 900777"))
    client.post(
        PHONE_IN_URL,
        phone_in(
            staff,
            patient_name="Vee",
            email="vera@example.com",
            phone="07700 900002",
            start_time="11:00",
        ),
    )
    first, second = (
        a.patient for a in AppointmentRequest.objects.filter(practitioner=staff.maya).order_by("pk")
    )
    client.force_login(staff.desk)
    match_url = reverse("admin:booking_patient_match", args=[first.pk])

    merged = client.post(match_url, {"decision": "same"})
    kept_apart = client.post(
        reverse("admin:booking_patient_match", args=[second.pk]), {"decision": "different"}
    )

    assert merged.status_code == kept_apart.status_code == 302
    assert not Patient.objects.filter(pk=first.pk).exists()
    assert staff.victim.appointments.count() == 2
    second.refresh_from_db()
    assert second.possible_match is None and second.appointments.count() == 1


def test_a_practitioner_cannot_open_the_comparison(client, staff):
    client.force_login(staff.maya_user)
    client.post(PHONE_IN_URL, phone_in(staff, patient_name="V. Private", phone="07700 900777"))
    new = AppointmentRequest.objects.get(practitioner=staff.maya).patient

    response = client.get(reverse("admin:booking_patient_match", args=[new.pk]))
    decided = client.post(
        reverse("admin:booking_patient_match", args=[new.pk]), {"decision": "same"}
    )

    assert response.status_code == decided.status_code == 403
    assert Patient.objects.filter(pk=new.pk).exists()


def test_a_practitioner_sees_the_safety_answers_of_their_own_appointments_only(client, staff):
    staff.appointment(
        staff.tom,
        9,
        day=SUMMER_DAY - timedelta(days=10),
        patient=staff.victim,
        answers={"bleeding": True},
    )
    staff.appointment(
        staff.maya,
        9,
        day=SUMMER_DAY - timedelta(days=40),
        patient=staff.victim,
        answers={"pregnant": False, "bleeding": False},
    )

    client.force_login(staff.maya_user)
    as_maya = client.get(change_url(staff.victim)).content.decode()
    client.force_login(staff.desk)
    as_desk = client.get(change_url(staff.victim)).content.decode()

    assert "Are you pregnant, or could you be?" in as_maya and "Knee" not in as_maya
    assert "<dd>No</dd>" in as_maya  # her own appointment's answers
    # Tom's appointment's answer, with its flag.
    assert "<dd>Yes" not in as_maya and "Bleeding disorder or blood thinners" not in as_maya
    assert "<dd>Yes <strong>⚠ Bleeding disorder or blood thinners</strong></dd>" in as_desk


def test_a_practitioner_adds_notes_but_cannot_change_the_contact_details(client, staff):
    staff.appointment(staff.maya, 11, patient=staff.victim)
    client.force_login(staff.maya_user)

    response = client.post(
        change_url(staff.victim),
        {
            "name": "Mallory",
            "email": "mallory@example.com",
            "phone": "07700 900000",
            "date_of_birth": "",
            "notes": "Prefers mornings",
            "appointments-TOTAL_FORMS": "0",
            "appointments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    staff.victim.refresh_from_db()
    assert (staff.victim.name, staff.victim.email) == ("Vera Private", "vera@example.com")
    assert staff.victim.notes == "Prefers mornings"


# --- Public bookings ---------------------------------------------------------------------


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    world = make_world()
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    return world


@pytest.fixture
def known(world):
    """A patient Tom treated, who said yes to "pregnant" on her last needle visit."""
    record = Patient.objects.create(name="Ann Known", email="ann@example.com", notes="Private")
    AppointmentRequest.objects.create(
        reference="KNWN-0001",
        manage_token_hash="k" * 64,
        treatment=world.dry_needling,
        practitioner=world.tom,
        starts_at=at(world.day, 9) - timedelta(days=30),
        ends_at=at(world.day, 9, 45) - timedelta(days=30),
        occupied_until=at(world.day, 10) - timedelta(days=30),
        patient=record,
        patient_name="Ann Known",
        email="ann@example.com",
        phone="07700 900111",
        answers=safety_kept({**dict.fromkeys(SAFETY_KEYS, False), "pregnant": True}),
        privacy_notice_version="2026-11",
    )
    return record


def test_a_visitor_booking_with_a_known_email_and_another_name_changes_nothing_on_the_record(
    client, world, known
):
    response = client.post(
        reverse("booking:confirm"),
        confirm_data(world, 10, name="Eve Attacker", email="ann@example.com"),
    )

    assert response.status_code == 302
    booked = AppointmentRequest.objects.get(patient_name="Eve Attacker")
    assert booked.patient != known and booked.patient.possible_match == known
    known.refresh_from_db()
    assert (known.name, known.notes, known.phone) == ("Ann Known", "Private", "")
    # Her latest answers are still the ones she gave: "pregnant: yes".
    latest = known.appointments.exclude(answers=[]).latest("starts_at")
    assert kept_values(latest.answers)["pregnant"] is True
    # Maya, whose diary the booking is in, gains no way into Ann's record.
    assert not known.appointments.filter(practitioner=world.maya).exists()


def test_a_returning_patient_with_the_same_name_and_email_keeps_one_record(client, world, known):
    response = client.post(
        reverse("booking:confirm"),
        confirm_data(world, 10, name="ann known", email="Ann@Example.com"),
    )

    assert response.status_code == 302
    booked = AppointmentRequest.objects.get(starts_at=at(world.day, 10))
    assert booked.patient == known
    assert Patient.objects.count() == 1


def test_a_waitlist_place_with_a_known_email_and_another_name_gets_its_own_record(world, known):
    from booking.waitlist.services import waitlist_join

    entry, _created = waitlist_join(
        treatment=world.follow_up,
        practitioner=None,
        first_day=world.day,
        last_day=world.day,
        times_of_day=(True, True, True),
        details=details(name="Eve Attacker", email="ann@example.com", answers={}),
        now=at(world.day, 8) - timedelta(days=2),
        privacy_notice_version="2026-11",
    )

    assert entry.patient != known and entry.patient.possible_match == known
