"""Courses of treatment in the services: the proposal, its alternatives, and booking
every session in one transaction or none, under concurrency too."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from booking.errors import BookingError, CourseSessionTakenError
from booking.models import AppointmentRequest, AppointmentStatus, Course, Notification, TimeSlot
from booking.services import appointment_book, course_book, course_plan
from tests.booking.booking_world import at, make_world, patient

WEEK = timedelta(days=7)


@pytest.fixture
def world(clinic):
    world = make_world()
    world.follow_up.course_sessions = 4
    world.follow_up.course_spacing_days = 7
    world.follow_up.save()
    for week in range(4):
        world.slot(world.maya, 9, 13, day=world.day + week * WEEK)
    return world


def weekly(world, hour, minute=0):
    return [at(world.day + n * WEEK, hour, minute) for n in range(4)]


def test_the_plan_proposes_the_same_weekday_and_time_with_the_same_practitioner(world):
    plans = course_plan(
        treatment=world.follow_up,
        practitioner=world.maya,
        first=at(world.day, 10),
        now=timezone.now(),
    )

    assert [p.number for p in plans] == [1, 2, 3, 4]
    assert [p.starts_at for p in plans] == weekly(world, 10)
    assert all(p.is_free and not p.alternatives for p in plans)


def test_a_taken_session_is_offered_the_nearest_free_times_that_day_first(world):
    third = world.day + 2 * WEEK
    appointment_book(
        treatment=world.massage,
        practitioner=world.maya,
        starts_at=at(third, 10),
        patient=patient(name="Someone Else", email="else@example.com"),
        now=timezone.now(),
    )

    plans = course_plan(
        treatment=world.follow_up,
        practitioner=world.maya,
        first=at(world.day, 10),
        now=timezone.now(),
    )

    taken = plans[2]
    assert not taken.is_free
    assert taken.proposed == at(third, 10)
    assert taken.alternatives
    assert all(a.astimezone(at(third, 0).tzinfo).date() == third for a in taken.alternatives)
    # Nearest first: the massage holds 10:00-11:10, so 11:10 and 09:xx are the closest.
    assert abs(taken.alternatives[0] - at(third, 10)) <= timedelta(minutes=70)
    assert [p.is_free for p in (plans[0], plans[1], plans[3])] == [True, True, True]


def test_a_course_books_every_session_as_one_course_with_one_email(world):
    course = course_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts=weekly(world, 10),
        patient=patient(),
        now=timezone.now(),
        privacy_notice_version="2026-12",
    )

    sessions = list(course.appointments.order_by("starts_at"))
    assert [a.course_session for a in sessions] == [1, 2, 3, 4]
    assert [a.starts_at for a in sessions] == weekly(world, 10)
    assert {a.status for a in sessions} == {AppointmentStatus.CONFIRMED}
    assert len({a.patient_id for a in sessions}) == 1
    assert course.sessions == 4 and course.spacing_days == 7
    # One e-mail to the patient (and one to the clinic) for the whole course.
    kinds = sorted(Notification.objects.values_list("kind", flat=True))
    assert kinds == ["clinic_new_request", "confirmed"]


def test_when_one_session_was_taken_meanwhile_nothing_is_booked(world):
    appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day + 2 * WEEK, 10, 15),
        patient=patient(name="Quick Quentin", email="q@example.com"),
        now=timezone.now(),
    )

    with pytest.raises(CourseSessionTakenError) as refused:
        course_book(
            treatment=world.follow_up,
            practitioner=world.maya,
            starts=weekly(world, 10),
            patient=patient(),
            now=timezone.now(),
        )

    assert refused.value.number == 3
    assert refused.value.starts_at == at(world.day + 2 * WEEK, 10)
    assert Course.objects.count() == 0
    assert AppointmentRequest.objects.count() == 1  # only Quentin's


def test_the_course_books_with_the_alternative_chosen_for_a_taken_session(world):
    third = world.day + 2 * WEEK
    appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(third, 10),
        patient=patient(name="Quick Quentin", email="q@example.com"),
        now=timezone.now(),
    )
    plans = course_plan(
        treatment=world.follow_up,
        practitioner=world.maya,
        first=at(world.day, 10),
        now=timezone.now(),
    )
    alternative = plans[2].alternatives[0]
    chosen = course_plan(
        treatment=world.follow_up,
        practitioner=world.maya,
        first=at(world.day, 10),
        now=timezone.now(),
        chosen={3: alternative},
    )
    assert all(p.is_free for p in chosen)

    course = course_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts=[p.starts_at for p in chosen],
        patient=patient(),
        now=timezone.now(),
    )

    assert course.appointments.get(course_session=3).starts_at == alternative


@pytest.mark.parametrize(
    "starts",
    [
        lambda w: weekly(w, 10)[:3],  # too few
        lambda w: [*weekly(w, 10)[:3], at(w.day + 2 * WEEK, 11)],  # two on one day
        lambda w: list(reversed(weekly(w, 10))),  # out of order
    ],
)
def test_a_course_with_the_wrong_sessions_is_refused_before_anything_is_written(world, starts):
    with pytest.raises(BookingError):
        course_book(
            treatment=world.follow_up,
            practitioner=world.maya,
            starts=starts(world),
            patient=patient(),
            now=timezone.now(),
        )
    assert Course.objects.count() == 0
    assert AppointmentRequest.objects.count() == 0


def test_a_treatment_without_a_course_is_never_booked_as_one(world):
    with pytest.raises(BookingError, match="not offered as a course"):
        course_book(
            treatment=world.massage,
            practitioner=world.maya,
            starts=weekly(world, 10),
            patient=patient(),
            now=timezone.now(),
        )


def test_a_needle_course_without_every_safety_answer_books_nothing(world):
    world.dry_needling.course_sessions = 4
    world.dry_needling.save()
    with pytest.raises(BookingError, match="answer every question of the form"):
        course_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts=weekly(world, 10),
            patient=patient(answers={}),
            now=timezone.now(),
        )
    assert AppointmentRequest.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_courses_whose_third_sessions_collide_store_exactly_one(world):
    """Sessions 1, 2 and 4 of each course are its own; every third session is the same time."""
    threads_count = 20
    world.follow_up.start_step_minutes = 5
    world.follow_up.save()
    TimeSlot.objects.all().delete()
    for week in range(4):
        world.slot(world.maya, 8, 21, day=world.day + week * WEEK)
    shared = at(world.day + 2 * WEEK, 12)

    def own(week, k):
        return at(world.day + week * WEEK, 8) + timedelta(minutes=35 * k)

    courses = [[own(0, k), own(1, k), shared, own(3, k)] for k in range(threads_count)]
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = [""] * threads_count

    def run(k):
        try:
            barrier.wait(timeout=30)
            course_book(
                treatment=world.follow_up,
                practitioner=world.maya,
                starts=courses[k],
                patient=patient(name=f"Patient {k}", email=f"p{k}@example.com"),
                now=timezone.now(),
            )
            outcomes[k] = "booked"
        except CourseSessionTakenError as error:
            outcomes[k] = f"taken {error.number}"
        except Exception as error:  # reported by the assertion below
            outcomes[k] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["booked"] + ["taken 3"] * (threads_count - 1), outcomes
    assert Course.objects.count() == 1
    course = Course.objects.get()
    assert AppointmentRequest.objects.count() == 4
    assert set(AppointmentRequest.objects.values_list("course", flat=True)) == {course.pk}
