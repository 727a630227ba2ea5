"""Today, the admin's front page: the day's work at hand, one click per outcome."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking.admin.today import today_board
from booking.models import AppointmentStatus, Notification
from tests.booking.staff_world import at, build_staff_world, started_a_moment_ago

S = AppointmentStatus
INDEX = reverse("admin:index")
BLEEDING = {"pregnant": False, "bleeding": True}


@pytest.fixture
def world(clinic):
    return build_staff_world(timezone.localdate() + timedelta(days=10))


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def mark_url(appointment):
    return reverse("admin:booking_today_mark", args=[appointment.pk])


# --- The board, at a time the test chooses ------------------------------------------


@pytest.fixture
def day(world):
    """World's day at 10:00: Maya's 09:30 has started, her 11:00 is next."""
    world.started = world.appointment(world.maya, 9, 30, status=S.CONFIRMED, patient_name="Ann")
    world.next = world.appointment(world.maya, 11, status=S.CONFIRMED, patient_name="Ben")
    world.later = world.appointment(world.maya, 14, status=S.CONFIRMED, patient_name="Cat")
    world.request = world.appointment(
        world.tom, 12, patient_name="Dee", answers=BLEEDING, status=S.REQUESTED
    )
    return at(world.day, 10)


def test_board_lists_todays_appointments_per_practitioner_in_time_order(world, day):
    board = today_board(user=world.desk, now=day)

    assert board.day == world.day
    columns = {p.name: [r.appointment.patient_name for r in rows] for p, rows in board.columns}
    assert columns == {"Maya Okafor": ["Ann", "Ben", "Cat"], "Tom Reid": ["Dee"]}


def test_board_offers_only_the_marks_that_make_sense_at_that_time(world, day):
    board = today_board(user=world.desk, now=day)

    marks = {
        row.appointment.patient_name: [mark for mark, _label in row.marks]
        for _practitioner, rows in board.columns
        for row in rows
    }
    assert marks == {
        "Ann": ["arrived", "completed", "no_show"],  # started at 09:30
        "Ben": ["arrived"],  # 11:00: may arrive from 10:00
        "Cat": [],  # 14:00: too early for anything
        "Dee": [],  # a request: confirm it first
    }


def test_board_lists_waiting_requests_oldest_first_with_their_safety_flags(world, day):
    newer = world.appointment(world.tom, 9, day=world.day + timedelta(days=1), patient_name="Eve")
    board = today_board(user=world.desk, now=day)

    assert [a.patient_name for a in board.waiting] == ["Dee", "Eve"]
    assert board.waiting_count == 2
    assert board.waiting[0].safety_flags == ["Bleeding disorder or blood thinners"]
    assert newer.safety_flags == []


def test_board_lists_failed_emails_and_tomorrows_first_appointments(world, day):
    tomorrow = world.day + timedelta(days=1)
    world.appointment(world.maya, 15, day=tomorrow, status=S.CONFIRMED, patient_name="Late")
    first = world.appointment(world.maya, 9, day=tomorrow, status=S.CONFIRMED, patient_name="Early")
    tom_first = world.appointment(
        world.tom, 8, day=tomorrow, status=S.CONFIRMED, patient_name="Tim"
    )
    Notification.objects.create(
        appointment=world.started,
        kind=Notification.Kind.CONFIRMED,
        for_starts_at=world.started.starts_at,
        status=Notification.Status.GAVE_UP,
    )

    board = today_board(user=world.desk, now=day)

    assert board.tomorrow == [tom_first, first]
    assert board.failed_count == 1
    assert board.failed[0].appointment == world.started


def test_practitioners_board_holds_only_their_own(world, day):
    board = today_board(user=world.tom_user, now=day)

    assert [p.name for p, _rows in board.columns] == ["Tom Reid"]
    assert [a.patient_name for a in board.waiting] == ["Dee"]


def test_staff_who_do_not_handle_appointments_get_no_board(world, day):
    from tests.booking.staff_world import staff_user

    assert today_board(user=staff_user("editor", None), now=day) is None


# --- The page and its buttons, on the real clock -------------------------------------


@pytest.fixture
def now_appointment(world):
    start = started_a_moment_ago()
    return world.appointment(
        world.maya,
        start.hour,
        start.minute,
        day=start.date(),
        status=S.CONFIRMED,
        patient_name="Here Now",
        answers=BLEEDING,
    )


def test_front_desk_index_is_the_today_page_with_the_flag_and_the_requests(
    client, world, now_appointment
):
    world.appointment(world.tom, 9, patient_name="Waiting Will", answers=BLEEDING)
    client.force_login(world.desk)

    response = client.get(INDEX)

    body = response.text
    assert f"Today, {timezone.localdate():%A %-d %B %Y}" in body
    assert "Here Now" in body
    assert "Call first: Bleeding disorder or blood thinners" in body
    assert "1 request waiting for confirmation" in body
    assert "Waiting Will" in body
    assert mark_url(now_appointment) in body


def test_one_click_marks_an_arrival_and_records_who_saw_it(client, world, now_appointment):
    client.force_login(world.desk)

    response = client.post(mark_url(now_appointment), {"mark": "arrived"})

    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}#appointment-{now_appointment.pk}"
    now_appointment.refresh_from_db()
    assert now_appointment.arrived_at is not None
    change = now_appointment.status_changes.get()
    assert change.changed_by == world.desk
    assert change.note.startswith("Arrived at ")


def test_completing_an_appointment_that_has_not_started_is_refused_with_a_message(client, world):
    tomorrow = world.appointment(world.maya, 10, status=S.CONFIRMED)
    client.force_login(world.desk)

    response = client.post(mark_url(tomorrow), {"mark": "completed"}, follow=True)

    tomorrow.refresh_from_db()
    assert tomorrow.status == S.CONFIRMED
    assert any("has not started yet" in t for t in texts(response))


def test_practitioner_cannot_mark_another_practitioners_appointment(client, world):
    toms = world.appointment(world.tom, 10, status=S.CONFIRMED)
    client.force_login(world.maya_user)

    response = client.post(mark_url(toms), {"mark": "no_show"})

    assert response.status_code == 404
    toms.refresh_from_db()
    assert toms.status == S.CONFIRMED


@pytest.mark.parametrize("mark", ["", "confirmed", "x" * 5000, "arrived\x00"])
def test_an_unknown_mark_is_not_found_and_changes_nothing(client, world, now_appointment, mark):
    client.force_login(world.desk)
    assert client.post(mark_url(now_appointment), {"mark": mark}).status_code == 404
    now_appointment.refresh_from_db()
    assert now_appointment.arrived_at is None


def test_marking_needs_a_post(client, world, now_appointment):
    client.force_login(world.desk)
    assert client.get(mark_url(now_appointment)).status_code == 405


def test_today_page_runs_a_constant_number_of_queries(client, world, now_appointment):
    client.force_login(world.desk)
    client.get(INDEX)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INDEX).status_code == 200
        return len(captured)

    small = queries()
    today = timezone.localdate()
    for hour in range(9, 17):
        world.appointment(world.tom, hour, day=today, status=S.CONFIRMED, patient_name=f"T{hour}")
        world.appointment(world.maya, hour, day=today + timedelta(days=1))
        world.appointment(world.tom, hour, answers=BLEEDING)  # requests waiting
    assert queries() == small
