"""Admin offers only the status changes that can work, says everything in one message,
and reads times on the 24-hour clock with one label per status."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentStatus
from tests.booking.staff_world import build_staff_world

S = AppointmentStatus
CHANGELIST = reverse("admin:booking_appointmentrequest_changelist")
STATUS_ACTIONS = {"confirm", "decline", "cancel_by_clinic", "mark_completed", "mark_no_show"}


@pytest.fixture
def world(clinic):
    return build_staff_world(timezone.localdate() + timedelta(days=3))


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


def offered(response, form="action_form") -> set[str]:
    action_form = response.context[form]
    if action_form is None:
        return set()
    return {name for name, _text in action_form.fields["action"].choices if name} & STATUS_ACTIONS


def change_url(appointment):
    return reverse("admin:booking_appointmentrequest_change", args=[appointment.pk])


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def test_a_list_of_future_requests_offers_no_outcome(as_desk, world):
    world.appointment(world.maya, 10)

    response = as_desk.get(CHANGELIST, {"status__exact": "requested"})

    assert offered(response) == {"confirm", "decline", "cancel_by_clinic"}


def test_a_list_of_confirmed_appointments_in_the_future_offers_no_confirm_and_no_outcome(
    as_desk, world
):
    world.appointment(world.maya, 10, status=S.CONFIRMED)

    response = as_desk.get(CHANGELIST)

    assert offered(response) == {"cancel_by_clinic"}


def test_a_list_with_appointments_that_have_started_offers_their_outcomes(as_desk, world):
    world.appointment(world.maya, 10, status=S.CONFIRMED, day=timezone.localdate() - timedelta(1))
    world.appointment(world.maya, 10)

    response = as_desk.get(CHANGELIST)

    assert offered(response) == STATUS_ACTIONS


def test_a_list_of_finished_appointments_offers_no_status_change(as_desk, world):
    world.appointment(world.maya, 10, status=S.COMPLETED)
    world.appointment(world.tom, 10, status=S.DECLINED)

    response = as_desk.get(CHANGELIST)

    assert offered(response) == set()


@pytest.mark.parametrize(
    ("status", "days", "expected"),
    [
        (S.REQUESTED, 3, {"confirm", "decline", "cancel_by_clinic"}),
        (S.CONFIRMED, 3, {"cancel_by_clinic"}),
        (S.CONFIRMED, -1, {"cancel_by_clinic", "mark_completed", "mark_no_show"}),
        (S.CANCELLED_BY_PATIENT, 3, set()),
    ],
)
def test_an_appointments_page_offers_only_what_is_valid_for_it(
    as_desk, world, status, days, expected
):
    appointment = world.appointment(
        world.maya, 10, status=status, day=timezone.localdate() + timedelta(days=days)
    )

    response = as_desk.get(change_url(appointment))

    assert offered(response) == expected


def test_a_mixed_selection_says_what_was_done_and_what_was_skipped_in_one_message(as_desk, world):
    done = world.appointment(world.maya, 10)
    declined = world.appointment(world.tom, 10, status=S.DECLINED)
    cancelled = world.appointment(world.tom, 12, status=S.CANCELLED_BY_PATIENT)

    response = as_desk.post(
        CHANGELIST,
        {"action": "confirm", "_selected_action": [done.pk, declined.pk, cancelled.pk]},
        follow=True,
    )

    [(level, text)] = messages_of(response)
    assert text.startswith(f"1 appointment marked confirmed: {done.reference}. 2 skipped:")
    assert f"Appointment {declined.reference} is declined and cannot be marked confirmed." in text
    assert f"Appointment {cancelled.reference} is cancelled by patient" in text
    assert level == 30  # a warning: part of the selection was left alone


def test_a_selection_where_nothing_is_valid_gets_one_error(as_desk, world):
    future = world.appointment(world.maya, 10, status=S.CONFIRMED)

    response = as_desk.post(
        CHANGELIST, {"action": "mark_no_show", "_selected_action": [future.pk]}, follow=True
    )

    [(level, text)] = messages_of(response)
    assert text.startswith("No appointment was marked no-show. 1 skipped:")
    assert "has not started yet" in text
    assert level == 40


def test_admin_reads_times_on_the_24_hour_clock(as_desk, world):
    noon = world.appointment(world.maya, 12, status=S.CONFIRMED)
    world.appointment(world.maya, 12, 45, day=world.day + timedelta(days=1))

    page = as_desk.get(change_url(noon)).text
    listing = as_desk.get(CHANGELIST).text

    assert f"{world.day:%-d %b %Y}, 12:00" in page
    for text in (page, listing):
        assert "noon" not in text and "p.m." not in text and "a.m." not in text
    assert "12:45–13:30" in listing


def test_one_label_per_status_in_the_list_and_on_the_schedule(as_desk, world):
    world.slot(world.maya, 9, 13)
    world.appointment(world.maya, 10)

    listing = as_desk.get(CHANGELIST).text
    schedule = as_desk.get(reverse("admin:booking_schedule_day"), {"date": world.day}).text

    for text in (listing, schedule):
        assert "Requested" in text
        assert "Pending confirmation" not in text
