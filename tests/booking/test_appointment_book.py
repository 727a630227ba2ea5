"""The appointment book's server side: the panel, drag-to-move's JSON, the week per
practitioner, the free time's treatment, and who may see what."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentStatus, Notification, Treatment
from tests.booking.staff_world import at, build_staff_world

S = AppointmentStatus
SUMMER_DAY = date(2027, 7, 1)  # a Thursday, London an hour ahead of UTC
DAY_URL = reverse("admin:booking_schedule_day")
WEEK_URL = reverse("admin:booking_schedule_week")
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    world.ann = world.appointment(
        world.maya, 9, status=S.CONFIRMED, patient_name="Ann Lee", email="ann@example.com"
    )
    world.bob = world.appointment(
        world.tom, 10, status=S.CONFIRMED, patient_name="Bob Other", email="bob@example.com"
    )
    return world


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


@pytest.fixture
def as_maya(client, world):
    client.force_login(world.maya_user)
    return client


def move_url(appointment):
    return reverse("admin:booking_appointmentrequest_move", args=[appointment.pk])


# --- Drag to move: the Move page answers JSON ----------------------------------------


def test_a_drop_on_a_free_time_moves_the_appointment_through_the_service(as_desk, world):
    response = as_desk.post(
        move_url(world.ann), {"choice": f"{world.maya.pk}@2027-07-01T11:00"}, **JSON
    )

    assert response.status_code == 200
    assert response.json()["ok"] is True
    world.ann.refresh_from_db()
    assert world.ann.starts_at == at(SUMMER_DAY, 11)
    # The patient is told, as from the Move page.
    assert Notification.objects.get(appointment=world.ann).kind == "rescheduled"


def test_a_drop_on_another_practitioners_free_time_moves_it_to_them(as_desk, world):
    response = as_desk.post(
        move_url(world.ann), {"choice": f"{world.tom.pk}@2027-07-01T12:00"}, **JSON
    )

    assert response.json()["ok"] is True
    world.ann.refresh_from_db()
    assert (world.ann.practitioner, world.ann.starts_at) == (world.tom, at(SUMMER_DAY, 12))


def test_a_drop_on_a_taken_time_is_refused_with_the_reason_and_nothing_moves(as_desk, world):
    response = as_desk.post(
        move_url(world.ann), {"choice": f"{world.tom.pk}@2027-07-01T10:15"}, **JSON
    )

    assert response.status_code == 409
    answer = response.json()
    assert answer["ok"] is False
    assert "Tom Reid" in answer["error"]
    assert "Nothing was moved." in answer["error"]
    world.ann.refresh_from_db()
    assert (world.ann.practitioner, world.ann.starts_at) == (world.maya, at(SUMMER_DAY, 9))
    assert not Notification.objects.filter(appointment=world.ann).exists()


@pytest.mark.parametrize(
    "choice", ["", "\x00", "x" * 5000, "9" * 40 + "@2027-07-01T11:00", "1@2027-13-45T99:99"]
)
def test_a_junk_drop_is_a_clear_error_never_a_500(as_desk, world, choice):
    response = as_desk.post(move_url(world.ann), {"choice": choice}, **JSON)

    assert response.status_code == 400
    answer = response.json()
    assert answer["ok"] is False
    assert answer["error"]  # the form's own words, e.g. "Choose one of the free times."
    world.ann.refresh_from_db()
    assert world.ann.starts_at == at(SUMMER_DAY, 9)


def test_a_practitioner_cannot_drag_another_practitioners_appointment(as_maya, world):
    response = as_maya.post(
        move_url(world.bob), {"choice": f"{world.tom.pk}@2027-07-01T12:00"}, **JSON
    )

    assert response.status_code == 404
    world.bob.refresh_from_db()
    assert world.bob.starts_at == at(SUMMER_DAY, 10)


def test_a_practitioner_cannot_drop_their_appointment_into_another_practitioners_column(
    as_maya, world
):
    response = as_maya.post(
        move_url(world.ann), {"choice": f"{world.tom.pk}@2027-07-01T12:00"}, **JSON
    )

    assert response.status_code == 400
    world.ann.refresh_from_db()
    assert world.ann.practitioner == world.maya


# --- The panel --------------------------------------------------------------------


def test_the_panel_offers_what_can_be_done_now(as_desk, world):
    response = as_desk.get(DAY_URL, {"date": "2027-07-01", "open": world.ann.pk})

    panel = response.context["panel"]
    assert panel.appointment == world.ann
    # In the future: no outcome yet, but it can be moved or cancelled.
    assert panel.marks == []
    assert panel.can_move and panel.can_cancel and not panel.can_correct
    body = response.text
    assert 'id="panel"' in body
    assert "Cancel by the clinic…" in body
    assert reverse("admin:booking_appointmentrequest_move", args=[world.ann.pk]) in body


def test_a_practitioner_sees_only_their_own_column_and_cannot_open_anothers_panel(as_maya, world):
    day = as_maya.get(DAY_URL, {"date": "2027-07-01"})
    opened = as_maya.get(DAY_URL, {"date": "2027-07-01", "open": world.bob.pk})
    week = as_maya.get(WEEK_URL, {"date": "2027-07-01", "practitioner": world.tom.pk})

    assert [p.name for p in day.context["practitioners"]] == ["Maya Okafor"]
    assert "Bob Other" not in day.text
    assert opened.context["panel"] is None
    assert "Bob Other" not in opened.text
    # Asking for Tom's week shows Maya's own.
    assert week.context["practitioner"] == world.maya
    assert "Bob Other" not in week.text
    assert "Ann Lee" in week.text


def test_front_desk_picks_whose_week_to_see(as_desk, world):
    maya = as_desk.get(WEEK_URL, {"date": "2027-07-01"})
    tom = as_desk.get(WEEK_URL, {"date": "2027-07-01", "practitioner": world.tom.pk})

    assert maya.context["practitioner"] == world.maya
    assert "Ann Lee" in maya.text and "Bob Other" not in maya.text
    assert tom.context["practitioner"] == world.tom
    assert "Bob Other" in tom.text and "Ann Lee" not in tom.text
    # The week runs Monday to Sunday, the same hours on every day.
    assert next(d for d, _label in tom.context["columns"]) == date(2027, 6, 28)
    assert all(len(row.cells) <= 7 for row in tom.context["rows"])


@pytest.mark.parametrize("junk", ["\x00", "x", "9" * 40, "-1", "1" * 5000, ""])
@pytest.mark.parametrize("param", ["open", "practitioner", "date"])
def test_junk_in_the_books_query_is_ignored_never_a_500(as_desk, world, junk, param):
    for url in (DAY_URL, WEEK_URL):
        response = as_desk.get(url, {"date": "2027-07-01", param: junk})
        assert response.status_code == 200


def test_a_mark_from_the_panel_returns_to_the_book_with_an_undo(as_desk, world):
    page = f"{DAY_URL}?date=2027-07-01&open={world.ann.pk}"
    # Outcomes need the appointment to have started: give it a start in the past.
    world.ann.starts_at = timezone.now() - timedelta(hours=1)
    world.ann.ends_at = world.ann.starts_at + timedelta(minutes=45)
    world.ann.occupied_until = world.ann.ends_at
    world.ann.save()

    response = as_desk.post(
        reverse("admin:booking_today_mark", args=[world.ann.pk]),
        {"mark": "completed", "next": page},
    )

    assert response.status_code == 302
    assert response["Location"] == page
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "completed" in message and "Undo" in message
    world.ann.refresh_from_db()
    assert world.ann.status == S.COMPLETED


def test_a_mark_never_sends_staff_off_the_site(as_desk, world):
    response = as_desk.post(
        reverse("admin:booking_today_mark", args=[world.ann.pk]),
        {"mark": "completed", "next": "//evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:index"))


# --- Book on a free time ------------------------------------------------------------


def test_book_on_a_free_time_preselects_the_treatment_the_practitioner_usually_gives(
    as_desk, world
):
    needling = Treatment.objects.create(
        name="Dry needling",
        slug="dry-needling",
        duration_minutes=30,
        buffer_after_minutes=0,
        price=Decimal("50.00"),
        sort_order=0,  # first in the catalogue
    )
    world.physio.sort_order = 1
    world.physio.save()
    world.maya.treatments.add(needling)
    # Maya mostly gives physiotherapy sessions.
    for days_back in (7, 14, 21):
        world.appointment(world.maya, 9, day=SUMMER_DAY - timedelta(days=days_back))

    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})

    links = {
        at_: url
        for row in response.context["rows"]
        for p, cell in row.cells
        for at_, url in cell.book
        if p == world.maya
    }
    # At 10:00 (Ann's hour and its clean-up over) both fit: the usual one is chosen.
    assert f"treatment={world.physio.pk}" in links[at(SUMMER_DAY, 10)]
    # At 12:30 only the half-hour needling fits before the slot ends.
    assert f"treatment={needling.pk}" in links[at(SUMMER_DAY, 12, 30)]
