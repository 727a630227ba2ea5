"""Courses for staff: the treatment's course fields, booking a course on the phone, repeating
an appointment, a course's request answered whole, "session 2 of 4" in the book and Today,
the CSV, anonymising and retention, and who may see which course."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.admin import phone_in
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    Course,
    Notification,
    NotificationKind,
    Patient,
    StatusChangeKind,
    TimeSlot,
)
from booking.services import appointments_anonymise, patient_anonymise
from booking.services.courses import course_book
from booking.services.courses_staff import course_plan_staff
from tests.booking.booking_world import patient
from tests.booking.staff_world import at, build_staff_world, started_a_moment_ago

S = AppointmentStatus
SUMMER_DAY = date(2027, 7, 1)  # a Thursday
WEEK = timedelta(days=7)
PHONE_IN_URL = reverse("admin:booking_appointmentrequest_phone_in")
CHANGELIST_URL = reverse("admin:booking_appointmentrequest_changelist")
JUNK = ["\x00", "x" * 5000, "9" * 40, "-1", "abc", "2027-13-45T99:99", "１２"]


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.physio.course_sessions = 4
    world.physio.course_spacing_days = 7
    world.physio.save()
    for week in range(6):
        world.slot(world.maya, 9, 13, day=SUMMER_DAY + week * WEEK)
        world.slot(world.tom, 9, 13, day=SUMMER_DAY + week * WEEK)
    return world


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


def weekly(day, hour, minute=0, sessions=4):
    return [at(day + n * WEEK, hour, minute) for n in range(sessions)]


def book_course(world, *, practitioner=None, starts=None, source="staff", **details):
    return course_book(
        treatment=world.physio,
        practitioner=practitioner or world.maya,
        starts=starts or weekly(SUMMER_DAY, 10),
        patient=patient(**details),
        now=timezone.now(),
        source=source,
        enforce_policy=False,
    )


def phone_data(world, **overrides):
    values = {
        "treatment": world.physio.pk,
        "practitioner": world.maya.pk,
        "date": "2027-07-01",
        "start_time": "10:00",
        "patient_name": "Phone Phil",
        "phone": "07700 900555",
        "email": "phil@example.com",
        "reason": "Sore knee",
        "as_course": "on",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def plan_key(world, first="2027-07-01T10:00"):
    return f"{world.physio.pk}/{world.maya.pk}/{first}"


# --- The treatment's course fields ------------------------------------------------------


def treatment_data(**overrides):
    values = {
        "name": "Sports massage",
        "slug": "sports-massage",
        "duration_minutes": "45",
        "buffer_after_minutes": "0",
        "price": "50",
        "start_step_minutes": "15",
        "confirmation": "never",
        "is_active": "on",
        "sort_order": "0",
        "course_sessions": "",
        "course_spacing_days": "7",
        "course_price": "",
        # The page's inline of the intake forms the treatment asks: none.
        "intake_links-TOTAL_FORMS": "0",
        "intake_links-INITIAL_FORMS": "0",
        "intake_links-MIN_NUM_FORMS": "0",
        "intake_links-MAX_NUM_FORMS": "1000",
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("course_sessions", "13", "A course is from 2 to 12 sessions"),
        ("course_sessions", "1", "A course is from 2 to 12 sessions"),
        ("course_spacing_days", "10", "Choose weekly or fortnightly."),
        ("course_price", "-1", "cannot be below zero"),
    ],
)
def test_the_treatment_form_says_what_is_wrong_next_to_the_course_field(
    admin_client, clinic, field, value, message
):
    response = admin_client.post(
        reverse("admin:booking_treatment_add"),
        treatment_data(**{"course_sessions": "4", field: value}),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert "Constraint" not in response.content.decode()


def test_a_course_price_without_sessions_is_refused_and_a_good_course_is_saved(
    admin_client, clinic
):
    response = admin_client.post(
        reverse("admin:booking_treatment_add"), treatment_data(course_price="180")
    )
    assert "needs a number of sessions" in " ".join(
        response.context["adminform"].form.errors["course_price"]
    )

    admin_client.post(
        reverse("admin:booking_treatment_add"),
        treatment_data(course_sessions="6", course_spacing_days="14", course_price="270"),
    )
    from booking.models import Treatment

    saved = Treatment.objects.get(slug="sports-massage")
    assert (saved.course_sessions, saved.course_spacing_days, str(saved.course_price)) == (
        6,
        14,
        "270.00",
    )


def test_the_treatment_page_groups_the_course_fields_with_help(admin_client, clinic):
    page = admin_client.get(reverse("admin:booking_treatment_add")).content.decode()
    assert "<h2" in page and "Course" in page
    assert "Leave the number of sessions empty to offer single sessions only." in page


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_the_course_fields_gets_a_message_not_a_500(admin_client, clinic, junk):
    response = admin_client.post(
        reverse("admin:booking_treatment_add"),
        treatment_data(course_sessions=junk, course_spacing_days=junk, course_price=junk),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors


# --- Phone-in: a course ------------------------------------------------------------------


def test_phone_in_shows_the_course_before_booking_then_books_four_as_one_course(as_desk, world):
    shown = as_desk.post(PHONE_IN_URL, phone_data(world))

    assert shown.status_code == 200
    page = shown.content.decode()
    assert "Book as a course of 4 (weekly)" in page
    for number, day in enumerate(["Thu 1 Jul 2027", "Thu 8 Jul 2027", "Thu 15 Jul 2027"], 1):
        assert f"Session {number}: {day} at 10:00" in page
    assert AppointmentRequest.objects.count() == 0

    response = as_desk.post(
        PHONE_IN_URL, phone_data(world, plan_for=plan_key(world), book_course="1")
    )

    assert response.status_code == 302
    course = Course.objects.get()
    sessions = list(course.appointments.order_by("course_session"))
    assert [a.starts_at for a in sessions] == weekly(SUMMER_DAY, 10)
    assert [a.course_session for a in sessions] == [1, 2, 3, 4]
    assert {(a.status, a.source) for a in sessions} == {(S.CONFIRMED, "staff")}
    assert len({a.patient_id for a in sessions}) == 1
    assert sessions[0].status_changes.get().changed_by == world.desk
    # One e-mail to the patient, for the whole course.
    assert list(Notification.objects.values_list("appointment_id", "kind")) == [
        (sessions[0].pk, NotificationKind.CONFIRMED)
    ]


def test_a_taken_session_is_offered_alternatives_and_nothing_is_booked_until_one_is_chosen(
    as_desk, world
):
    world.appointment(world.maya, 10, day=SUMMER_DAY + 2 * WEEK, status=S.CONFIRMED)

    shown = as_desk.post(PHONE_IN_URL, phone_data(world)).content.decode()
    assert "Session 3: Thu 15 Jul 2027 at 10:00 is not free." in shown
    assert 'name="session_3"' in shown

    refused = as_desk.post(
        PHONE_IN_URL, phone_data(world, plan_for=plan_key(world), book_course="1")
    )
    assert refused.status_code == 200
    assert "Nothing was booked: choose a time for session 3 below." in refused.content.decode()
    assert Course.objects.count() == 0

    alternative = course_plan_staff(
        treatment=world.physio,
        practitioner=world.maya,
        proposed=weekly(SUMMER_DAY, 10),
        now=timezone.now(),
    )[2].alternatives[0]
    value = f"{alternative.astimezone(at(SUMMER_DAY, 0).tzinfo):%Y-%m-%dT%H:%M}"
    as_desk.post(
        PHONE_IN_URL,
        phone_data(world, plan_for=plan_key(world), book_course="1", session_3=value),
    )

    course = Course.objects.get()
    assert course.appointments.get(course_session=3).starts_at == alternative


def test_a_clash_at_the_press_books_nothing_keeps_everything_typed_and_shows_alternatives(
    as_desk, world, monkeypatch
):
    # The page showed every session free; session 3 is taken before the press.
    world.appointment(world.maya, 10, day=SUMMER_DAY + 2 * WEEK, status=S.CONFIRMED)
    real = phone_in.course_plan_staff
    calls = []

    def plan_as_it_was(**kwargs):
        calls.append(kwargs)
        plans = real(**kwargs)
        if len(calls) == 1:
            for plan in plans:
                plan.starts_at, plan.alternatives = plan.proposed, []
        return plans

    monkeypatch.setattr(phone_in, "course_plan_staff", plan_as_it_was)

    response = as_desk.post(
        PHONE_IN_URL, phone_data(world, plan_for=plan_key(world), book_course="1")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Session 3 (Thu 15 Jul at 10:00) was booked by someone else" in page
    assert "Choose another time for session 3 below" in page
    assert 'name="session_3"' in page
    assert 'value="Phone Phil"' in page and "Sore knee" in page
    assert AppointmentRequest.objects.filter(patient_name="Phone Phil").count() == 0
    assert Course.objects.count() == 0


def test_changing_the_first_time_after_the_plan_shows_the_new_plan_before_booking(as_desk, world):
    response = as_desk.post(
        PHONE_IN_URL,
        phone_data(world, start_time="11:00", plan_for=plan_key(world), book_course="1"),
    )
    assert response.status_code == 200
    assert "Session 2: Thu 8 Jul 2027 at 11:00" in response.content.decode()
    assert Course.objects.count() == 0


def test_a_treatment_without_a_course_cannot_be_booked_as_one(as_desk, world):
    from booking.models import Treatment

    single = Treatment.objects.create(
        name="Assessment", slug="assessment", duration_minutes=30, price=40
    )
    world.maya.treatments.add(single)
    response = as_desk.post(PHONE_IN_URL, phone_data(world, treatment=single.pk))
    assert "Assessment is not offered as a course" in response.content.decode()
    assert AppointmentRequest.objects.count() == 0


def test_a_practitioners_phone_in_course_joins_only_patients_they_already_see(client, world):
    # Rita is Tom's patient: Maya typing her details in makes a new record, not Tom's.
    rita = Patient.objects.create(name="Rita Return", email="rita@example.com")
    world.appointment(
        world.tom, 9, day=SUMMER_DAY - 30 * timedelta(days=1), patient=rita, status=S.COMPLETED
    )
    client.force_login(world.maya_user)
    client.post(
        PHONE_IN_URL,
        phone_data(
            world,
            patient_name="Rita Return",
            email="rita@example.com",
            plan_for=plan_key(world),
            book_course="1",
        ),
    )
    course = Course.objects.get()
    assert course.patient != rita


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_the_phone_in_course_fields_is_no_500(as_desk, world, junk):
    response = as_desk.post(
        PHONE_IN_URL,
        phone_data(
            world, as_course=junk, plan_for=junk, book_course=junk, session_2=junk, session_3=junk
        ),
    )
    assert response.status_code in (200, 302)


# --- Repeat an appointment ---------------------------------------------------------------


def repeat_url(appointment):
    return reverse("admin:booking_appointmentrequest_repeat", args=[appointment.pk])


def test_repeating_an_appointment_three_more_times_weekly_makes_a_course_of_four(as_desk, world):
    original = world.appointment(world.maya, 10, status=S.CONFIRMED)

    shown = as_desk.get(repeat_url(original), {"more": "3", "spacing": "7"}).content.decode()
    assert "Session 2: Thu 8 Jul 2027 at 10:00" in shown
    assert "Session 4: Thu 22 Jul 2027 at 10:00" in shown

    response = as_desk.post(repeat_url(original), {"more": "3", "spacing": "7"})

    assert response.status_code == 302
    original.refresh_from_db()
    course = original.course
    assert (course.sessions, course.spacing_days, original.course_session) == (4, 7, 1)
    sessions = list(course.appointments.order_by("course_session"))
    assert sessions[0] == original
    assert [a.starts_at for a in sessions] == weekly(SUMMER_DAY, 10)
    assert {a.status for a in sessions[1:]} == {S.CONFIRMED}
    assert {a.patient_name for a in sessions} == {"Sam Patel"}
    assert Notification.objects.filter(kind=NotificationKind.CONFIRMED).count() == 1


def test_repeating_fortnightly_and_a_taken_session_books_nothing_until_chosen(as_desk, world):
    original = world.appointment(world.maya, 10, status=S.CONFIRMED)
    world.appointment(world.maya, 10, day=SUMMER_DAY + 2 * WEEK, status=S.CONFIRMED)

    response = as_desk.post(repeat_url(original), {"more": "2", "spacing": "14"})

    page = response.content.decode()
    assert "Session 2: Thu 15 Jul 2027 at 10:00 is not free." in page
    assert 'name="session_2"' in page
    assert "Nothing was booked" in page
    assert Course.objects.count() == 0
    original.refresh_from_db()
    assert original.course_id is None


def test_an_appointment_already_in_a_course_or_a_request_is_not_repeated(as_desk, world):
    course = book_course(world)
    session = course.appointments.get(course_session=2)
    request = world.appointment(world.tom, 10)

    for appointment in (session, request):
        response = as_desk.post(repeat_url(appointment), {"more": "2", "spacing": "7"})
        assert response.status_code == 302
    assert Course.objects.count() == 1


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_the_repeat_page_is_a_message_not_a_500(as_desk, world, junk):
    original = world.appointment(world.maya, 10, status=S.CONFIRMED)
    assert as_desk.get(repeat_url(original), {"more": junk, "spacing": junk}).status_code == 200
    response = as_desk.post(
        repeat_url(original), {"more": junk, "spacing": junk, "session_2": junk}
    )
    assert response.status_code == 200
    response = as_desk.post(repeat_url(original), {"more": "2", "spacing": "7", "session_2": junk})
    assert response.status_code in (200, 302)


def test_the_appointment_page_and_the_panel_offer_repeat(as_desk, world):
    original = world.appointment(world.maya, 10, status=S.CONFIRMED)
    page = as_desk.get(
        reverse("admin:booking_appointmentrequest_change", args=[original.pk])
    ).content.decode()
    assert repeat_url(original) in page
    panel = as_desk.get(
        reverse("admin:booking_schedule_day"), {"date": "2027-07-01", "open": original.pk}
    ).content.decode()
    assert repeat_url(original) in panel


# --- A course's request is answered whole ------------------------------------------------


def requested_course(world):
    return book_course(world, source="online")


def test_confirming_one_session_of_a_course_request_confirms_all_with_one_email(as_desk, world):
    course = requested_course(world)
    assert set(course.appointments.values_list("status", flat=True)) == {S.REQUESTED}
    Notification.objects.all().delete()
    second = course.appointments.get(course_session=2)

    as_desk.post(
        CHANGELIST_URL,
        {"action": "confirm", "_selected_action": [second.pk], "index": 0, "select_across": 0},
    )

    sessions = list(course.appointments.order_by("course_session"))
    assert {a.status for a in sessions} == {S.CONFIRMED}
    for session in sessions:
        assert session.status_changes.filter(to_status=S.CONFIRMED).count() == 1
    assert list(Notification.objects.values_list("appointment_id", "kind")) == [
        (sessions[0].pk, NotificationKind.CONFIRMED)
    ]


def test_selecting_every_session_confirms_the_course_once_without_skipped_messages(as_desk, world):
    course = requested_course(world)
    Notification.objects.all().delete()
    ids = list(course.appointments.values_list("pk", flat=True))

    response = as_desk.post(
        CHANGELIST_URL,
        {"action": "confirm", "_selected_action": ids, "index": 0, "select_across": 0},
        follow=True,
    )

    text = " ".join(str(m) for m in response.context["messages"])
    assert "4 appointments marked confirmed" in text
    assert "skipped" not in text
    assert Notification.objects.count() == 1


def test_declining_one_session_of_a_course_request_declines_all_with_one_email(as_desk, world):
    course = requested_course(world)
    Notification.objects.all().delete()
    third = course.appointments.get(course_session=3)

    as_desk.post(
        CHANGELIST_URL,
        {
            "action": "decline",
            "_selected_action": [third.pk],
            "index": 0,
            "select_across": 0,
            "apply": "1",
            "reason": "We cannot offer a course this summer.",
        },
    )

    sessions = list(course.appointments.order_by("course_session"))
    assert {a.status for a in sessions} == {S.DECLINED}
    assert {a.decline_reason for a in sessions} == {"We cannot offer a course this summer."}
    assert list(Notification.objects.values_list("appointment_id", "kind")) == [
        (sessions[0].pk, NotificationKind.DECLINED)
    ]


def test_the_decline_page_says_the_courses_other_sessions_go_with_it(as_desk, world):
    course = requested_course(world)
    second = course.appointments.get(course_session=2)
    page = as_desk.post(
        CHANGELIST_URL,
        {"action": "decline", "_selected_action": [second.pk], "index": 0, "select_across": 0},
    ).content.decode()
    assert "session 2 of 4" in page
    assert "its other requested sessions are declined with it, in one e-mail" in page


def test_a_course_request_whose_first_session_has_started_is_not_confirmed_in_part(world):
    from booking.errors import InvalidTransitionError
    from booking.services import appointment_change_status

    course = requested_course(world)
    first, third = (course.appointments.get(course_session=n) for n in (1, 3))
    after_the_first = at(SUMMER_DAY, 10, 30)

    with pytest.raises(InvalidTransitionError, match="cancel that session first"):
        appointment_change_status(
            appointment_id=third.pk, to_status=S.CONFIRMED, now=after_the_first, by=world.desk
        )
    assert set(course.appointments.values_list("status", flat=True)) == {S.REQUESTED}

    appointment_change_status(
        appointment_id=first.pk,
        to_status=S.CANCELLED_BY_CLINIC,
        now=after_the_first,
        by=world.desk,
        note="Too late to confirm.",
    )
    appointment_change_status(
        appointment_id=third.pk, to_status=S.CONFIRMED, now=after_the_first, by=world.desk
    )
    statuses = dict(course.appointments.values_list("course_session", "status"))
    assert statuses == {1: S.CANCELLED_BY_CLINIC, 2: S.CONFIRMED, 3: S.CONFIRMED, 4: S.CONFIRMED}


def test_undoing_a_course_wide_decline_undoes_each_session_and_tells_the_patient_once(
    as_desk, world
):
    course = requested_course(world)
    first = course.appointments.get(course_session=1)
    as_desk.post(
        CHANGELIST_URL,
        {
            "action": "decline",
            "_selected_action": [first.pk],
            "index": 0,
            "select_across": 0,
            "apply": "1",
            "reason": "Fully booked.",
        },
    )
    Notification.objects.all().delete()
    changes = list(
        AppointmentStatusChange.objects.filter(
            appointment__course=course, to_status=S.DECLINED
        ).values_list("pk", flat=True)
    )
    assert len(changes) == 4

    as_desk.post(reverse("admin:booking_status_undo"), {"change": changes, "next": "/admin/"})

    assert set(course.appointments.values_list("status", flat=True)) == {S.REQUESTED}
    undos = [
        c
        for a in course.appointments.all()
        for c in a.status_changes.filter(kind=StatusChangeKind.UNDO)
    ]
    assert len(undos) == 4
    assert Notification.objects.filter(kind=NotificationKind.REQUEST_RECEIVED).count() == 1


def test_a_single_appointments_undo_still_works(as_desk, world):
    single = world.appointment(world.maya, 10)
    as_desk.post(
        CHANGELIST_URL,
        {"action": "confirm", "_selected_action": [single.pk], "index": 0, "select_across": 0},
    )
    change = single.status_changes.get(to_status=S.CONFIRMED)
    as_desk.post(reverse("admin:booking_status_undo"), {"change": [change.pk]})
    single.refresh_from_db()
    assert single.status == S.REQUESTED


def test_cancelling_one_session_cancels_only_that_one(as_desk, world):
    course = book_course(world)
    second = course.appointments.get(course_session=2)
    as_desk.post(
        CHANGELIST_URL,
        {
            "action": "cancel_by_clinic",
            "_selected_action": [second.pk],
            "index": 0,
            "select_across": 0,
            "apply": "1",
            "confirm": "1",
            "reason": "Maya is ill that day.",
            "previewed": "Maya is ill that day.",
        },
    )
    statuses = dict(course.appointments.values_list("course_session", "status"))
    assert statuses == {1: S.CONFIRMED, 2: S.CANCELLED_BY_CLINIC, 3: S.CONFIRMED, 4: S.CONFIRMED}


# --- "Session 2 of 4" ------------------------------------------------------------------


def test_the_day_view_shows_session_2_of_4(as_desk, world):
    book_course(world)
    page = as_desk.get(reverse("admin:booking_schedule_day"), {"date": "2027-07-08"})
    assert "session 2 of 4" in page.content.decode()


def test_today_shows_session_2_of_4(as_desk, world):
    moment = started_a_moment_ago()
    starts = [moment - WEEK, moment, moment + WEEK, moment + 2 * WEEK]
    for start in starts:
        TimeSlot.objects.create(
            practitioner=world.maya, starts_at=start, ends_at=start + timedelta(hours=2)
        )
    book_course(world, starts=starts)

    page = as_desk.get(reverse("admin:index")).content.decode()

    assert "session 2 of 4" in page


def test_todays_waiting_requests_name_the_session(as_desk, world):
    requested_course(world)
    page = as_desk.get(reverse("admin:index")).content.decode()
    assert "(session 1 of 4)" in page and "(session 4 of 4)" in page


def test_moving_one_session_moves_only_that_one(as_desk, world):
    course = book_course(world)
    second = course.appointments.get(course_session=2)
    as_desk.post(
        reverse("admin:booking_appointmentrequest_move", args=[second.pk]),
        {"choice": f"{world.maya.pk}@2027-07-08T11:00"},
    )
    starts = dict(course.appointments.values_list("course_session", "starts_at"))
    assert starts == {
        1: at(SUMMER_DAY, 10),
        2: at(SUMMER_DAY + WEEK, 11),
        3: at(SUMMER_DAY + 2 * WEEK, 10),
        4: at(SUMMER_DAY + 3 * WEEK, 10),
    }


# --- Data --------------------------------------------------------------------------------


def test_the_csv_has_the_course_and_the_session(as_desk, world):
    course = book_course(world)
    world.appointment(world.tom, 12, status=S.CONFIRMED)
    response = as_desk.get(reverse("admin:booking_appointmentrequest_export"))
    lines = response.content.decode().splitlines()
    header = lines[0].split(",")
    assert "Course" in header and "Session" in header
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
    sessions = sorted(row["Session"] for row in rows if row["Course"] == course.reference)
    assert sessions == ["1 of 4", "2 of 4", "3 of 4", "4 of 4"]
    assert [row["Session"] for row in rows if row["Course"] == ""] == [""]


def test_the_patient_record_lists_their_courses_and_their_data_includes_them(as_desk, world):
    course = book_course(world)
    page = as_desk.get(
        reverse("admin:booking_patient_change", args=[course.patient_id])
    ).content.decode()
    assert course.reference in page
    assert f"{course.reference}, session 2 of 4" in page

    data = as_desk.get(
        reverse("admin:booking_patient_export", args=[course.patient_id]), {"format": "json"}
    ).json()
    assert [c["reference"] for c in data["courses"]] == [course.reference]
    assert {a["session"] for a in data["appointments"]} == {"1 of 4", "2 of 4", "3 of 4", "4 of 4"}


def past_course(world):
    first = timezone.localdate() - timedelta(days=60)
    starts = weekly(first, 10)
    for start in starts:
        world.slot(world.maya, 9, 13, day=start.date())
    course = book_course(world, starts=starts)
    course.appointments.update(status=S.COMPLETED)
    return course


def test_anonymising_a_patient_clears_their_courses_link(world):
    course = past_course(world)
    patient_anonymise(patient_id=course.patient_id, now=timezone.now())
    course.refresh_from_db()
    assert course.patient_id is None
    assert Course.objects.filter(pk=course.pk).exists()


def test_retention_unlinks_erased_courses_and_deletes_empty_ones(world):
    course = past_course(world)
    empty = Course.objects.create(
        reference="EMPTY1",
        treatment=world.physio,
        practitioner=world.maya,
        sessions=2,
        spacing_days=7,
    )
    ahead = book_course(world, practitioner=world.tom)

    now = timezone.now()
    appointments_anonymise(ended_before=now, now=now)

    course.refresh_from_db()
    ahead.refresh_from_db()
    assert course.patient_id is None
    assert ahead.patient_id is not None
    assert not Course.objects.filter(pk=empty.pk).exists()


# --- Who sees which course ---------------------------------------------------------------


def test_a_practitioner_sees_only_their_own_courses_and_repeats_only_their_own(client, world):
    mine = book_course(world)
    theirs = book_course(world, practitioner=world.tom, name="Tina Tom", email="tina@example.com")
    tom_single = world.appointment(world.tom, 12, day=SUMMER_DAY + 5 * WEEK, status=S.CONFIRMED)
    client.force_login(world.maya_user)

    listing = client.get(reverse("admin:booking_course_changelist")).content.decode()
    assert mine.reference in listing and theirs.reference not in listing
    assert client.get(reverse("admin:booking_course_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:booking_course_change", args=[theirs.pk])).status_code == 404
    assert client.get(repeat_url(tom_single), {"more": "2", "spacing": "7"}).status_code == 404
    assert client.post(repeat_url(tom_single), {"more": "2", "spacing": "7"}).status_code == 404
    assert Course.objects.count() == 2


def test_the_course_page_lists_its_sessions_and_cannot_be_edited(as_desk, world):
    course = book_course(world)
    page = as_desk.get(reverse("admin:booking_course_change", args=[course.pk])).content.decode()
    for session in course.appointments.all():
        assert session.reference in page
    assert as_desk.get(reverse("admin:booking_course_add")).status_code == 403


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_the_course_list_search_is_no_500(as_desk, world, junk):
    book_course(world)
    response = as_desk.get(reverse("admin:booking_course_changelist"), {"q": junk})
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_staff_confirming_different_sessions_of_one_course_at_once_confirm_it_once(world):
    import threading

    from django.db import connection

    from booking.errors import InvalidTransitionError
    from booking.services import appointment_change_status

    course = requested_course(world)
    Notification.objects.all().delete()
    ids = [course.appointments.get(course_session=n).pk for n in (4, 1, 3, 2)]
    barrier = threading.Barrier(len(ids))
    outcomes = [""] * len(ids)

    def run(k):
        try:
            barrier.wait(timeout=30)
            appointment_change_status(
                appointment_id=ids[k], to_status=S.CONFIRMED, now=timezone.now(), by=world.desk
            )
            outcomes[k] = "confirmed"
        except InvalidTransitionError:
            outcomes[k] = "already"
        except Exception as error:  # reported by the assertion below
            outcomes[k] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already"] * 3 + ["confirmed"], outcomes
    assert set(course.appointments.values_list("status", flat=True)) == {S.CONFIRMED}
    assert Notification.objects.count() == 1
