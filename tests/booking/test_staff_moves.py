"""Moving an appointment from admin: free times of every practitioner, clashes explained."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from booking.models import AppointmentStatus, NotificationKind
from tests.booking.staff_world import at, build_staff_world

S = AppointmentStatus
SUMMER_DAY = date(2027, 7, 1)


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    world.ann = world.appointment(world.maya, 9, 30, status=S.CONFIRMED, patient_name="Ann Lee")
    world.bob = world.appointment(world.tom, 11, status=S.CONFIRMED, patient_name="Bob Roe")
    return world


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


def move_url(appointment, **query):
    url = reverse("admin:booking_appointmentrequest_move", args=[appointment.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def choice(practitioner, day, hhmm):
    return f"{practitioner.pk}@{day.isoformat()}T{hhmm}"


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_move_page_lists_every_practitioners_free_times_that_day(as_desk, world):
    response = as_desk.get(move_url(world.ann))

    assert response.status_code == 200
    groups = {
        p.name: [f"{t.starts_at:%H:%M}" for t in times] for p, times in response.context["groups"]
    }
    # Ann's own time counts as free for her; Bob holds Tom's 11:00-12:00.
    assert groups["Maya Okafor"][:4] == ["09:00", "09:15", "09:30", "09:45"]
    assert "11:00" not in groups["Tom Reid"] and "12:00" in groups["Tom Reid"]
    assert groups["Tom Reid"][:2] == ["09:00", "09:15"]


def test_moving_to_another_practitioners_free_time_moves_and_emails_the_patient(as_desk, world):
    response = as_desk.post(
        move_url(world.ann, back="day"), {"choice": choice(world.tom, SUMMER_DAY, "12:00")}
    )

    assert response.status_code == 302
    schedule = reverse("admin:booking_schedule_day")
    assert response["Location"] == f"{schedule}?date=2027-07-01"
    world.ann.refresh_from_db()
    assert (world.ann.practitioner, world.ann.starts_at) == (world.tom, at(SUMMER_DAY, 12))
    assert world.ann.notifications.filter(kind=NotificationKind.RESCHEDULED).exists()
    assert world.ann.status_changes.get().changed_by == world.desk


def test_a_time_taken_since_the_page_was_shown_names_the_clash_and_offers_nearest_times(
    as_desk, world
):
    taken = choice(world.tom, SUMMER_DAY, "11:15")  # Bob's time, as if just booked

    response = as_desk.post(move_url(world.ann), {"choice": taken})

    assert response.status_code == 200
    error = response.context["form"].non_field_errors()[0]
    assert "Tom Reid already has an appointment at that time: Thu 1 Jul, 11:00–11:45" in error
    assert "free again at 12:00" in error
    assert response.context["nearest"]
    nearest = [
        (p.name, f"{t.starts_at:%H:%M}") for p, times in response.context["groups"] for t in times
    ]
    assert ("Tom Reid", "12:00") in nearest and ("Maya Okafor", "11:15") in nearest
    world.ann.refresh_from_db()
    assert world.ann.starts_at == at(SUMMER_DAY, 9, 30)


def test_moving_into_blocked_or_missing_hours_is_a_form_error(as_desk, world):
    response = as_desk.post(move_url(world.ann), {"choice": choice(world.tom, SUMMER_DAY, "15:00")})
    assert response.status_code == 200
    assert "not available at that time" in response.context["form"].non_field_errors()[0]


@pytest.mark.parametrize(
    "value",
    ["", "nonsense", "1@2027-13-45T25:99", "999999@2027-07-01T10:00", "x" * 5000, "1\x00@2027"],
)
def test_a_malformed_choice_is_a_form_error_not_a_500(as_desk, world, value):
    response = as_desk.post(move_url(world.ann), {"choice": value})
    assert response.status_code == 200
    assert response.context["form"].errors
    world.ann.refresh_from_db()
    assert world.ann.starts_at == at(SUMMER_DAY, 9, 30)


@pytest.mark.parametrize("value", ["9999-12-31", "yesterday", "x" * 5000, "2027-02-30"])
def test_move_page_with_an_unusable_date_shows_a_day_instead_of_failing(as_desk, world, value):
    assert as_desk.get(move_url(world.ann), {"date": value}).status_code == 200


def test_a_cancelled_appointment_cannot_be_moved(as_desk, world):
    world.ann.status = S.CANCELLED_BY_CLINIC
    world.ann.save()

    response = as_desk.get(move_url(world.ann), follow=True)

    assert any("cannot be moved" in t for t in texts(response))


def test_practitioner_cannot_open_the_move_page_of_another_practitioners_appointment(client, world):
    client.force_login(world.maya_user)
    assert client.get(move_url(world.bob)).status_code == 404
    assert (
        client.post(
            move_url(world.bob), {"choice": choice(world.tom, SUMMER_DAY, "9:00")}
        ).status_code
        == 404
    )


def test_practitioner_moves_only_within_their_own_diary(client, world):
    client.force_login(world.maya_user)

    response = client.get(move_url(world.ann))
    assert [p.name for p, _times in response.context["groups"]] == ["Maya Okafor"]

    refused = client.post(move_url(world.ann), {"choice": choice(world.tom, SUMMER_DAY, "12:00")})
    assert refused.context["form"].errors
    world.ann.refresh_from_db()
    assert world.ann.practitioner == world.maya


def test_appointment_page_links_to_its_move_page_only_while_it_is_active(as_desk, world):
    change = reverse("admin:booking_appointmentrequest_change", args=[world.ann.pk])
    assert move_url(world.ann) in as_desk.get(change).text
    world.ann.status = S.CANCELLED_BY_PATIENT
    world.ann.save()
    assert move_url(world.ann) not in as_desk.get(change).text
