import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from booking import demo
from booking.models import Practitioner, TimeSlot, Treatment
from booking.selectors import available_start_times
from images.services import image_create
from tests.images.conftest import make_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_clinic(clinic):
    demo.load(stdout=io.StringIO())


def test_demo_has_the_team_and_treatments_the_service_pages_link_to(demo_clinic):
    assert set(Practitioner.objects.values_list("slug", flat=True)) == {
        "maya-okafor",
        "tom-lindqvist",
        "aisha-rahman",
    }
    assert set(Treatment.objects.values_list("slug", flat=True)) == {
        "dry-needling",
        "physiotherapy",
        "physiotherapy-follow-up",
        "massage-therapy",
        "acupuncture",
    }
    acupuncture = Treatment.objects.get(slug="acupuncture")
    assert list(acupuncture.practitioners.values_list("slug", flat=True)) == ["tom-lindqvist"]


def test_the_demo_loaded_for_tests_has_no_appointments(demo_clinic):
    from booking.models import AppointmentRequest

    assert not AppointmentRequest.objects.exists()


def test_demo_is_bookable_the_moment_it_loads(demo_clinic):
    now = timezone.now()
    times = available_start_times(
        treatment=Treatment.objects.get(slug="dry-needling"),
        start=timezone.localdate(),
        days=14,
        now=now,
    )

    assert sum(len(day) for day in times.values()) > 50


def test_loading_the_demo_twice_changes_nothing(demo_clinic):
    before = (Practitioner.objects.count(), Treatment.objects.count(), TimeSlot.objects.count())
    Practitioner.objects.filter(slug="maya-okafor").update(bio="Edited by staff")

    demo.load(stdout=io.StringIO())
    call_command("generate_slots", stdout=io.StringIO())

    after = (Practitioner.objects.count(), Treatment.objects.count(), TimeSlot.objects.count())
    assert before == after
    assert Practitioner.objects.get(slug="maya-okafor").bio == "Edited by staff"


def test_demo_books_one_of_toms_days_full_so_a_visitor_can_join_the_waitlist(client, clinic):
    from booking.models import AppointmentRequest

    call_command("load_demo", stdout=io.StringIO())

    tom = Practitioner.objects.get(slug="tom-lindqvist")
    day = timezone.localtime(
        AppointmentRequest.objects.filter(practitioner=tom).earliest("starts_at").starts_at
    ).date()
    assert day >= timezone.localdate() + timedelta(days=2)
    for treatment in tom.treatments.all():
        times = available_start_times(
            treatment=treatment, practitioner=tom, start=day, days=1, now=timezone.now()
        )
        assert times == {}, treatment
    booked = AppointmentRequest.objects.count()
    call_command("load_demo", stdout=io.StringIO())
    assert AppointmentRequest.objects.count() == booked

    page = client.get(
        reverse("booking:time")
        + f"?treatment=physiotherapy&practitioner=tom-lindqvist&week={day.isoformat()}"
    )
    assert "Join the waitlist" in page.content.decode()


def test_team_page_links_to_profiles_and_booking(client, demo_clinic):
    content = client.get(reverse("booking:practitioner_list")).content.decode()

    assert 'href="/team/maya-okafor/"' in content
    assert "Book with Dr Maya Okafor" in content
    assert "/book/?practitioner=maya-okafor" in content


def test_profile_page_deep_links_each_treatment_with_the_practitioner(client, demo_clinic):
    response = client.get(reverse("booking:practitioner_detail", kwargs={"slug": "tom-lindqvist"}))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<h1>") == 1
    assert "/book/?treatment=acupuncture&amp;practitioner=tom-lindqvist" in content


def test_inactive_practitioner_profile_is_not_found(client, demo_clinic):
    Practitioner.objects.filter(slug="aisha-rahman").update(is_active=False)

    response = client.get(reverse("booking:practitioner_detail", kwargs={"slug": "aisha-rahman"}))

    assert response.status_code == 404


def test_sitemap_lists_the_team_pages_and_the_booking_start(client, demo_clinic):
    content = client.get("/sitemap.xml").content.decode()

    assert "/team/maya-okafor/</loc>" in content
    assert "/book/</loc>" in content
    assert "/book/manage/" not in content


def test_the_team_page_costs_the_same_queries_for_three_or_thirty_practitioners(
    client, django_assert_max_num_queries
):
    demo.load(stdout=io.StringIO())
    client.get("/team/")  # the clinic's identity is cached after the first page
    # practitioners (+ photos), their treatments, the reference treatment,
    # everyone's slots, everyone's appointments
    budget = 5
    with django_assert_max_num_queries(budget):
        assert client.get("/team/").status_code == 200
    treatment = Treatment.objects.first()
    photo = image_create(file=make_upload(), alt_text="A practitioner")
    for number in range(27):
        extra = Practitioner.objects.create(
            name=f"Extra Person {number}", slug=f"extra-{number}", photo=photo
        )
        extra.treatments.add(treatment)
    with django_assert_max_num_queries(budget):
        response = client.get("/team/")
    assert (
        response.content.decode().count("Next free time online")
        + response.content.decode().count("No free time online")
        == 30
    )
