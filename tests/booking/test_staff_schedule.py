"""The admin schedule (day and week) and phone-in booking."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentRequest, AppointmentStatus, Practitioner, TimeSlot
from tests.booking.intake_world import safety_kept
from tests.booking.staff_world import at, build_staff_world, staff_user

S = AppointmentStatus
# A summer day: London is an hour ahead of UTC, so a zone slip would show.
SUMMER_DAY = date(2027, 7, 1)
DAY_URL = reverse("admin:booking_schedule_day")
WEEK_URL = reverse("admin:booking_schedule_week")
PHONE_IN_URL = reverse("admin:booking_appointmentrequest_phone_in")


@pytest.fixture
def world(clinic):
    return build_staff_world(SUMMER_DAY)


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


@pytest.fixture
def as_maya(client, world):
    client.force_login(world.maya_user)
    return client


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Day and week views ------------------------------------------------------------


def cell_at(response, label, practitioner_name):
    """The grid cell that starts at the row `label` in the practitioner's column."""
    row = next(r for r in response.context["rows"] if r.label == label)
    return dict((p.name, c) for p, c in row.cells).get(practitioner_name)


def test_day_view_shows_the_booking_at_its_clinic_time(as_desk, world):
    world.slot(world.maya, 9, 13)
    appointment = world.appointment(world.maya, 9, 30, status=S.CONFIRMED, patient_name="Ann Lee")
    assert appointment.starts_at.utcoffset() == timedelta(hours=1)

    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})

    assert response.status_code == 200
    body = response.text
    assert "09:30–10:15" in body
    assert "08:30–09:15" not in body
    # The appointment opens its panel, which links to the whole appointment.
    assert f"open={appointment.pk}#panel" in body
    panel = as_desk.get(DAY_URL, {"date": "2027-07-01", "open": appointment.pk})
    change = reverse("admin:booking_appointmentrequest_change", args=[appointment.pk])
    assert change in panel.text
    assert panel.context["panel"].appointment == appointment
    cell = cell_at(response, "09:30", "Maya Okafor")
    assert cell.kind == "appointment"
    assert [e.appointment for e in cell.entries] == [appointment]


def test_day_view_rows_are_proportional_to_time(as_desk, world):
    world.slot(world.maya, 9, 13)
    world.appointment(world.maya, 9, 30, status=S.CONFIRMED)  # 45 minutes, then 15 to clean up

    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})

    labels = [r.label for r in response.context["rows"]]
    assert labels[:5] == ["08:00", "08:15", "08:30", "08:45", "09:00"]
    assert response.context["step_minutes"] == 15
    assert cell_at(response, "09:30", "Maya Okafor").rows == 3
    assert 'rowspan="3"' in response.text
    # The cleaning-up time after it is neither booked nor free.
    assert cell_at(response, "10:15", "Maya Okafor").kind == "gap"
    assert cell_at(response, "10:30", "Maya Okafor").kind == "free"


def test_day_view_rows_get_finer_only_when_a_booking_needs_it(as_desk, world):
    world.slot(world.maya, 9, 13)
    world.appointment(world.maya, 9, 50, status=S.CONFIRMED)

    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})

    assert response.context["step_minutes"] == 5
    assert cell_at(response, "09:50", "Maya Okafor").rows == 9


def test_day_view_has_a_column_only_for_practitioners_who_work_that_day(as_desk, world):
    world.slot(world.maya, 9, 13)
    world.appointment(world.tom, 14, day=SUMMER_DAY + timedelta(days=1))

    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})

    assert [p.name for p in response.context["practitioners"]] == ["Maya Okafor"]
    assert "Tom Reid" not in response.text


def test_day_view_counts_an_appointment_without_hours_as_work(as_desk, world):
    world.slot(world.maya, 9, 13)
    world.appointment(world.tom, 10, status=S.CONFIRMED)

    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})

    assert [p.name for p in response.context["practitioners"]] == ["Maya Okafor", "Tom Reid"]


def test_day_view_says_so_when_nobody_works(as_desk, world):
    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})
    assert response.context["practitioners"] == []
    assert "Nobody works on this day" in response.text


def test_day_view_shows_free_time_around_the_booking_and_requests(as_desk, world):
    world.slot(world.maya, 9, 12)
    world.appointment(world.maya, 10, patient_name="Pending Pat")

    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})

    body = response.text
    assert "Requested" in body
    assert "Pending confirmation" not in body  # one label per status
    # Free until the booking, then again after its 45 minutes and 15 minutes' buffer.
    assert "Free 09:00–10:00" in body
    assert "Free 11:00–12:00" in body
    free = cell_at(response, "09:00", "Maya Okafor")
    assert (free.kind, free.rows) == ("free", 4)
    assert [f"{at:%H:%M}" for at, _url in free.book] == ["09:00"]
    assert "start_time=09%3A00" in free.book[0][1]


def test_day_view_offers_no_free_fragment_shorter_than_the_shortest_treatment(as_desk, world):
    world.slot(world.maya, 9, 12)
    world.appointment(world.maya, 9, 30, status=S.CONFIRMED)  # 09:30-10:30 with cleaning up
    world.appointment(world.maya, 11, status=S.CONFIRMED)  # leaves 10:30-11:00: 30 minutes

    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})

    assert "Free 10:30–11:00" not in response.text
    # From the end of the first appointment to the second: one empty stretch.
    gap = cell_at(response, "10:15", "Maya Okafor")
    assert (gap.kind, gap.rows) == ("gap", 3)
    # The first half hour is too short for the 45-minute session as well.
    assert "Free 09:00–09:30" not in response.text


def test_day_view_books_only_where_the_shortest_treatment_fits_and_prefills_it(as_desk, world):
    world.slot(world.maya, 9, 10)
    world.slot(world.maya, 11, 13)
    world.appointment(world.maya, 12, status=S.CONFIRMED)

    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})

    # 09:30 leaves 30 minutes: no 45-minute session fits.
    morning = cell_at(response, "09:00", "Maya Okafor").book
    assert [f"{at:%H:%M}" for at, _url in morning] == ["09:00", "09:15"]
    assert all(f"treatment={world.physio.pk}" in url for _at, url in morning)
    # Before the 12:00 appointment the 15 minutes' cleaning up must fit as well.
    late = cell_at(response, "11:00", "Maya Okafor").book
    assert [f"{at:%H:%M}" for at, _url in late] == ["11:00"]


def test_day_view_offers_no_booking_to_a_login_that_cannot_book(client, world):
    world.slot(world.maya, 9, 12)
    viewer = staff_user("viewer", None)  # Maya's login, allowed to look only
    viewer.user_permissions.add(Permission.objects.get(codename="view_appointmentrequest"))
    world.maya.user = viewer
    world.maya.save()
    client.force_login(viewer)

    response = client.get(DAY_URL, {"date": "2027-07-01"})

    assert cell_at(response, "09:00", "Maya Okafor").book == []
    assert PHONE_IN_URL not in response.text


def test_the_panel_of_an_active_appointment_links_to_its_move_page(as_desk, world):
    world.slot(world.maya, 9, 13)
    appointment = world.appointment(world.maya, 9, 30, status=S.CONFIRMED)
    done = world.appointment(world.maya, 11, status=S.COMPLETED, patient_name="Done Dan")

    response = as_desk.get(DAY_URL, {"date": "2027-07-01", "open": appointment.pk})
    finished = as_desk.get(DAY_URL, {"date": "2027-07-01", "open": done.pk})

    move = reverse("admin:booking_appointmentrequest_move", args=[appointment.pk])
    assert f"{move}?back=day" in response.text
    assert response.text.count("?back=day") == 1
    assert "?back=day" not in finished.text
    # The grid itself offers dragging (the same move page, asked for JSON) for the active one.
    assert response.text.count("data-move-url=") == 1


def test_day_view_leaves_out_cancelled_and_declined_requests(as_desk, world):
    world.appointment(world.maya, 10, status=S.DECLINED, patient_name="Declined Dee")
    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})
    assert "Declined Dee" not in response.text


def test_day_view_navigation_links_to_previous_next_and_today(as_desk, world):
    response = as_desk.get(DAY_URL, {"date": "2027-07-01"})
    body = response.text
    assert f"{DAY_URL}?date=2027-06-30" in body
    assert f"{DAY_URL}?date=2027-07-02" in body
    assert ">Today</a>" in body
    assert f"{WEEK_URL}?date=2027-07-01" in body


@pytest.fixture
def today_and_another_day(world):
    """One booking today and one on the world's summer day, to tell the two apart."""
    today = timezone.localdate()
    world.appointment(world.maya, 10, day=today, status=S.CONFIRMED, patient_name="Tess Today")
    world.appointment(world.tom, 11, status=S.CONFIRMED, patient_name="Sam Summer")
    return today


def assert_shows_today(response, today):
    assert response.status_code == 200
    body = response.text
    assert "Tess Today" in body
    assert "Sam Summer" not in body
    if response.context["view_name"] == "day":
        assert response.context["day"] == today
    else:
        assert today in [day for day, _label in response.context["columns"]]


def test_day_view_with_a_malformed_date_shows_today_instead_of_failing(
    as_desk, today_and_another_day
):
    response = as_desk.get(DAY_URL, {"date": "2027-13-45"})

    assert_shows_today(response, today_and_another_day)
    assert f"Schedule for {today_and_another_day:%A %-d %B %Y}" in response.text


def test_week_view_lists_the_weeks_bookings_under_their_day(as_desk, world):
    world.appointment(world.tom, 14, day=SUMMER_DAY + timedelta(days=1), patient_name="Fri Fay")
    response = as_desk.get(WEEK_URL, {"date": "2027-07-01", "practitioner": world.tom.pk})
    assert response.status_code == 200
    days = [day for day, _label in response.context["columns"]]
    assert days[0] == date(2027, 6, 28)  # the Monday
    row = next(r for r in response.context["rows"] if r.label == "14:00")
    friday_cell = dict(row.cells)[date(2027, 7, 2)]
    assert [e.appointment.patient_name for e in friday_cell.entries] == ["Fri Fay"]
    assert "14:00–14:45" in response.text


def _day_view_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DAY_URL, {"date": "2027-07-01"})
    assert response.status_code == 200
    return len(queries)


def test_day_view_runs_a_constant_number_of_queries(as_desk, world, django_assert_max_num_queries):
    world.slot(world.maya, 8, 18)
    world.appointment(world.maya, 9)
    _day_view_queries(as_desk)  # the clinic's identity is cached after the first page
    small = _day_view_queries(as_desk)

    world.slot(world.tom, 8, 18)
    for hour in range(9, 17):
        world.appointment(world.tom, hour)
    world.appointment(world.maya, 12)

    assert _day_view_queries(as_desk) == small
    with django_assert_max_num_queries(12):
        as_desk.get(DAY_URL, {"date": "2027-07-01"})


def test_week_view_runs_a_constant_number_of_queries(as_desk, world):
    world.appointment(world.maya, 9)
    as_desk.get(WEEK_URL, {"date": "2027-07-01"})
    with CaptureQueriesContext(connection) as before:
        as_desk.get(WEEK_URL, {"date": "2027-07-01"})
    for offset in range(5):
        world.appointment(world.tom, 9, day=SUMMER_DAY + timedelta(days=offset - 3))
    with CaptureQueriesContext(connection) as after:
        as_desk.get(WEEK_URL, {"date": "2027-07-01"})
    assert len(after) == len(before) <= 12


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"date": "2027-07-01"})
    assert response.status_code == 200
    return len(queries)


def test_schedule_keeps_its_query_budget_with_five_practitioners_and_200_appointments(
    as_desk, world
):
    world.slot(world.maya, 8, 18)
    world.appointment(world.maya, 9)
    for url in (DAY_URL, WEEK_URL):
        _page_queries(as_desk, url)  # the clinic's identity is cached after the first page
    small = {url: _page_queries(as_desk, url) for url in (DAY_URL, WEEK_URL)}
    AppointmentRequest.objects.all().delete()

    practitioners = [world.maya, world.tom] + [
        Practitioner.objects.create(name=f"Practitioner {n}", slug=f"practitioner-{n}")
        for n in range(3)
    ]
    monday = SUMMER_DAY - timedelta(days=SUMMER_DAY.weekday())
    slots, appointments = [], []
    for practitioner in practitioners:
        practitioner.treatments.add(world.physio)
        for offset in range(5):
            day = monday + timedelta(days=offset)
            if not (practitioner == world.maya and day == SUMMER_DAY):
                slots.append(
                    TimeSlot(practitioner=practitioner, starts_at=at(day, 8), ends_at=at(day, 18))
                )
            for hour in range(8, 16):  # 45 minutes and 15 to clean up: one an hour
                start = at(day, hour)
                appointments.append(
                    AppointmentRequest(
                        reference=f"B{len(appointments):03d}",
                        manage_token_hash=f"budget-{len(appointments)}",
                        treatment=world.physio,
                        practitioner=practitioner,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=45),
                        occupied_until=start + timedelta(minutes=60),
                        status=S.CONFIRMED if hour % 2 else S.REQUESTED,
                        patient_name=f"Patient {len(appointments)}",
                        email="budget@example.com",
                        phone="07700 900000",
                        answers=safety_kept({"bleeding": hour == 9}),
                        privacy_notice_version="2026-11",
                    )
                )
    TimeSlot.objects.bulk_create(slots)
    AppointmentRequest.objects.bulk_create(appointments)
    assert AppointmentRequest.objects.count() == 200

    for url in (DAY_URL, WEEK_URL):
        assert _page_queries(as_desk, url) == small[url] <= 12
    day = as_desk.get(DAY_URL, {"date": "2027-07-01"})
    assert len(day.context["practitioners"]) == 5
    assert sum(c.kind == "appointment" for r in day.context["rows"] for _p, c in r.cells) == 40


# --- Blocking slots ------------------------------------------------------------------


def test_front_desk_blocks_a_slot_from_the_schedule(as_desk, world):
    slot = world.slot(world.maya, 9, 13)
    url = reverse("admin:booking_schedule_block_slot", args=[slot.pk])

    response = as_desk.post(url, {"blocked": "1", "date": "2027-07-01"})

    assert response.status_code == 302
    assert response["Location"] == f"{DAY_URL}?date=2027-07-01"
    slot.refresh_from_db()
    assert slot.is_blocked
    page = as_desk.get(DAY_URL, {"date": "2027-07-01"})
    assert "Unblock 09:00–13:00" in page.text


def test_blocking_needs_a_post(as_desk, world):
    slot = world.slot(world.maya, 9, 13)
    url = reverse("admin:booking_schedule_block_slot", args=[slot.pk])
    assert as_desk.get(url).status_code == 405


def test_practitioner_cannot_block_another_practitioners_slot(as_maya, world):
    slot = world.slot(world.tom, 9, 13)
    url = reverse("admin:booking_schedule_block_slot", args=[slot.pk])
    assert as_maya.post(url, {"blocked": "1"}).status_code == 404
    slot.refresh_from_db()
    assert not slot.is_blocked


def test_time_slot_list_blocks_and_unblocks_selected_slots(as_desk, world):
    slot = world.slot(world.maya, 9, 13)
    changelist = reverse("admin:booking_timeslot_changelist")
    as_desk.post(changelist, {"action": "block", "_selected_action": [slot.pk]})
    slot.refresh_from_db()
    assert slot.is_blocked
    as_desk.post(changelist, {"action": "unblock", "_selected_action": [slot.pk]})
    slot.refresh_from_db()
    assert not slot.is_blocked


def test_generate_slots_makes_slots_from_the_weekly_hours(as_desk, world):
    world.maya.weekly_availability.create(
        weekday=SUMMER_DAY.weekday(), starts_at="09:00", ends_at="12:00"
    )
    response = as_desk.post(
        reverse("admin:booking_timeslot_generate"),
        {"start": "2027-07-01", "days": "1"},
        follow=True,
    )
    assert response.status_code == 200
    slot = TimeSlot.objects.get(practitioner=world.maya)
    assert (slot.starts_at, slot.ends_at) == (at(SUMMER_DAY, 9), at(SUMMER_DAY, 12))
    assert any("1 new slots made" in t for t in texts(response))


def test_practitioner_cannot_open_generate_slots(as_maya, world):
    assert as_maya.get(reverse("admin:booking_timeslot_generate")).status_code == 403


# --- Phone-in booking -----------------------------------------------------------------


def phone_in_data(world, **overrides):
    data = {
        "treatment": world.physio.pk,
        "practitioner": world.maya.pk,
        "date": "2027-07-01",
        "start_time": "10:00",
        "patient_name": "Phone Phil",
        "email": "phil@example.com",
        "phone": "07700 900555",
        "is_new_patient": "on",
        "reason": "Sore knee",
    }
    data.update(overrides)
    return data


def test_add_appointment_button_opens_the_phone_in_form(as_desk, world):
    response = as_desk.get(reverse("admin:booking_appointmentrequest_add"))
    assert response.status_code == 302
    assert response["Location"] == PHONE_IN_URL


def test_phone_in_books_a_confirmed_appointment_at_the_clinic_time(as_desk, world):
    world.slot(world.maya, 9, 13)

    response = as_desk.post(PHONE_IN_URL, phone_in_data(world))

    assert response.status_code == 302
    assert response["Location"] == f"{DAY_URL}?date=2027-07-01"
    appointment = AppointmentRequest.objects.get(patient_name="Phone Phil")
    assert appointment.starts_at == at(SUMMER_DAY, 10)
    assert appointment.status == S.CONFIRMED
    assert appointment.source == "staff"
    assert appointment.status_changes.get().changed_by == world.desk
    assert appointment.notifications.filter(kind="confirmed").exists()


def test_phone_in_form_is_prefilled_from_the_schedule_link(as_desk, world):
    response = as_desk.get(
        PHONE_IN_URL, {"practitioner": world.tom.pk, "date": "2027-07-01", "start_time": "11:15"}
    )
    form = response.context["form"]
    assert form.initial["practitioner"] == str(world.tom.pk)
    assert form.initial["start_time"] == "11:15"


def test_conflicting_phone_in_booking_shows_a_form_error_not_a_500(as_desk, world):
    world.slot(world.maya, 9, 13)
    world.appointment(world.maya, 10, status=S.CONFIRMED)

    response = as_desk.post(PHONE_IN_URL, phone_in_data(world, start_time="10:30"))

    assert response.status_code == 200
    assert "Maya Okafor already has an appointment at that time" in response.text
    assert not AppointmentRequest.objects.filter(patient_name="Phone Phil").exists()


def test_phone_in_outside_the_practitioners_hours_shows_a_form_error(as_desk, world):
    response = as_desk.post(PHONE_IN_URL, phone_in_data(world, start_time="20:00"))
    assert response.status_code == 200
    assert "not available at that time" in response.text
    assert not AppointmentRequest.objects.filter(patient_name="Phone Phil").exists()


def test_phone_in_with_missing_fields_shows_field_errors(as_desk, world):
    response = as_desk.post(PHONE_IN_URL, phone_in_data(world, email="not-an-email", date=""))
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"email", "date"}


def test_practitioner_cannot_phone_in_a_booking_for_another_practitioner(as_maya, world):
    world.slot(world.tom, 9, 13)
    response = as_maya.post(PHONE_IN_URL, phone_in_data(world, practitioner=world.tom.pk))
    assert response.status_code == 200
    assert "practitioner" in response.context["form"].errors
    assert not AppointmentRequest.objects.exists()


def test_practitioner_phone_in_form_offers_only_themselves(as_maya, world):
    response = as_maya.get(PHONE_IN_URL)
    choices = list(response.context["form"].fields["practitioner"].queryset)
    assert choices == [world.maya]


# --- Slots and hours in admin -------------------------------------------------------


def test_adding_a_slot_in_admin_saves_a_manual_slot(as_desk, world):
    response = as_desk.post(
        reverse("admin:booking_timeslot_add"),
        {
            "practitioner": world.maya.pk,
            "starts_at_0": "2027-07-01",
            "starts_at_1": "18:00",
            "ends_at_0": "2027-07-01",
            "ends_at_1": "20:00",
        },
    )
    assert response.status_code == 302
    slot = TimeSlot.objects.get()
    assert (slot.source, slot.starts_at) == ("manual", at(SUMMER_DAY, 18))


def test_adding_an_overlapping_slot_in_admin_shows_a_form_error(as_desk, world):
    world.slot(world.maya, 9, 13)
    response = as_desk.post(
        reverse("admin:booking_timeslot_add"),
        {
            "practitioner": world.maya.pk,
            "starts_at_0": "2027-07-01",
            "starts_at_1": "12:00",
            "ends_at_0": "2027-07-01",
            "ends_at_1": "14:00",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert TimeSlot.objects.count() == 1


def test_practitioner_edits_their_weekly_hours_on_their_own_page(as_maya, world):
    url = reverse("admin:booking_practitioner_change", args=[world.maya.pk])
    page = as_maya.get(url)
    assert page.status_code == 200
    assert "Weekly working hours" in page.text
    data = {
        "bio": "Hands-on physio.",
        "photo_alt": "",
        "weekly_availability-TOTAL_FORMS": "1",
        "weekly_availability-INITIAL_FORMS": "0",
        "weekly_availability-0-weekday": "0",
        "weekly_availability-0-starts_at": "09:00",
        "weekly_availability-0-ends_at": "12:00",
        "availability_exceptions-TOTAL_FORMS": "0",
        "availability_exceptions-INITIAL_FORMS": "0",
    }
    response = as_maya.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert world.maya.weekly_availability.get().ends_at.hour == 12


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "yesterday", "", "\x00" * 3])
def test_schedule_with_an_unusable_date_shows_today(as_desk, today_and_another_day, value):
    for url in (DAY_URL, WEEK_URL):
        assert_shows_today(as_desk.get(url, {"date": value}), today_and_another_day)


def test_phone_in_far_in_the_future_is_a_form_error_not_a_500(as_desk, world):
    response = as_desk.post(PHONE_IN_URL, phone_in_data(world, date="9999-12-31"))
    assert response.status_code == 200
    assert "more than two years ahead" in response.text


def test_generate_slots_far_ahead_is_a_form_error_not_a_500(as_desk, world):
    response = as_desk.post(
        reverse("admin:booking_timeslot_generate"), {"start": "9999-12-01", "days": "366"}
    )
    assert response.status_code == 200
    assert "within the coming year" in response.text


def test_generate_slots_action_on_practitioners_makes_their_slots(as_desk, world):
    from django.utils import timezone

    tomorrow = timezone.localdate() + timedelta(days=1)
    world.tom.weekly_availability.create(
        weekday=tomorrow.weekday(), starts_at="09:00", ends_at="12:00"
    )
    response = as_desk.post(
        reverse("admin:booking_practitioner_changelist"),
        {"action": "generate_slots", "_selected_action": [world.tom.pk]},
        follow=True,
    )
    assert any("new slot" in t for t in texts(response))
    assert TimeSlot.objects.filter(practitioner=world.tom).exists()
    assert not TimeSlot.objects.filter(practitioner=world.maya).exists()


def test_practitioner_is_not_offered_the_generate_slots_action(as_maya, world):
    response = as_maya.get(reverse("admin:booking_practitioner_changelist"))
    assert "generate_slots" not in response.text
