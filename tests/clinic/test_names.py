"""Names that are names: in the patient's form, on the models and so in every admin form."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from booking import flow
from booking.models import AppointmentRequest, Practitioner, Treatment
from clinic.validators import single_line, tidy_name
from tests.booking.booking_world import at, make_world

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # right-to-left override
ZWSP = "\u200b"  # zero-width space


def test_tidy_name_drops_invisible_format_characters_and_extra_spaces():
    assert tidy_name(f"  {RLO}Sam{ZWSP}  Pa\u200dtel\ufeff ") == "Sam Patel"


def test_single_line_turns_control_characters_into_spaces():
    assert single_line("Dry\r\nneedling\x00\tplus") == "Dry needling plus"


@pytest.mark.parametrize("name", ["Dry\rneedling", "Dry\nneedling", "Dry\u2028needling", "A\x07"])
def test_treatment_name_with_a_control_character_is_refused(name):
    treatment = Treatment(name=name, slug="t", duration_minutes=30, price=10)

    with pytest.raises(ValidationError) as refused:
        treatment.full_clean()

    assert "name" in refused.value.message_dict


@pytest.mark.parametrize("name", ["12345", "--", "  ", "\u200b"])
def test_practitioner_name_without_a_letter_is_refused(name):
    practitioner = Practitioner(name=name, slug="p")

    with pytest.raises(ValidationError) as refused:
        practitioner.full_clean()

    assert "name" in refused.value.message_dict


def test_model_validation_strips_format_characters_before_saving():
    treatment = Treatment(name=f"{RLO}Dry{ZWSP} needling", slug="t", duration_minutes=30, price=10)

    treatment.full_clean()

    assert treatment.name == "Dry needling"


def test_admin_form_refuses_a_treatment_name_with_a_line_break(admin_client, clinic):
    response = admin_client.post(
        reverse("admin:booking_treatment_add"),
        {
            "name": "Dry\r\nneedling",
            "slug": "dry-needling-cr",
            "duration_minutes": 30,
            "buffer_after_minutes": 0,
            "price": "40.00",
            "start_step_minutes": 15,
            "confirmation": "always",
            "is_active": "on",
            "sort_order": 0,
        },
    )

    assert response.status_code == 200
    assert "Use one line without control characters" in response.content.decode()
    assert not Treatment.objects.filter(slug="dry-needling-cr").exists()


def test_admin_form_saves_a_clinic_name_without_its_bidi_override(admin_client, clinic):
    data = {
        field: getattr(clinic, field)
        for field in [
            "tagline",
            "description",
            "phone",
            "email",
            "bookings_inbox",
            "street_address",
            "locality",
            "postal_code",
            "country",
            "min_notice_hours",
            "late_cancellation_hours",
            "booking_horizon_days",
            "request_notice_hours",
            "short_notice_requests",
            "cancellation_policy",
            "waitlist_offer_count",
            "waitlist_offer_minutes",
            "waitlist_offer_closes_minutes",
            "privacy_notice",
            "privacy_notice_version",
        ]
    }
    data.update(
        {
            "name": f"{RLO}Willow Lane Physiotherapy",
            "opening_hours-TOTAL_FORMS": 0,
            "opening_hours-INITIAL_FORMS": 0,
        }
    )

    response = admin_client.post(
        reverse("admin:clinic_clinicprofile_change", args=[clinic.pk]), data
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    clinic.refresh_from_db()
    assert clinic.name == "Willow Lane Physiotherapy"


# --- the patient's own name -----------------------------------------------------------------


@pytest.fixture
def details_url(clinic, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    world = make_world()
    world.slot(world.maya, 9, 13)
    return flow.url(
        "booking:details",
        treatment="physiotherapy-follow-up",
        practitioner="maya-okafor",
        start=flow.start_format(at(world.day, 10)),
    )


def post_name(client, url, name):
    return client.post(
        url,
        {
            "name": name,
            "email": "a@example.com",
            "phone": "07700 900123",
            "patient_type": "new",
            "consent": "on",
        },
        follow=True,
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Sam\r\nPatel", "Enter your name on one line"),
        ("Sam\tPatel", "Enter your name on one line"),
        ("12345", "Enter your name in letters."),
        (f"{ZWSP}{RLO}", "Enter your full name."),
    ],
)
def test_patient_name_that_is_not_a_name_gets_a_message(client, details_url, name, message):
    response = post_name(client, details_url, name)

    assert message in response.content.decode()
    assert AppointmentRequest.objects.count() == 0


def test_patient_name_loses_its_invisible_characters(client, details_url):
    response = post_name(client, details_url, f"{RLO}Sam{ZWSP} Patel")

    assert ">Sam Patel<" in response.content.decode()
