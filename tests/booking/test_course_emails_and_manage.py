"""A course from the patient's side: the e-mails and calendar file list every session,
and the private page shows the course, moves or cancels one session, or cancels the rest."""

import re
from datetime import UTC, timedelta

import icalendar
import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking import signals
from booking.emails import deliver_notification
from booking.errors import CancellationWindowError
from booking.links import ics_url, manage_token
from booking.models import AppointmentStatus, Notification, NotificationKind, NotificationStatus
from booking.notifications import queue_notification
from booking.selectors import free_starts
from booking.services import appointment_book, appointment_reschedule, course_book
from booking.services.courses import course_cancel_rest
from clinic.identity import forget_clinic
from tests.booking.booking_world import at, make_world, patient

pytestmark = pytest.mark.django_db

WEEK = timedelta(days=7)
Kind = NotificationKind


@pytest.fixture
def world(clinic):
    world = make_world()
    world.follow_up.course_sessions = 4
    world.follow_up.course_spacing_days = 7
    world.follow_up.save()
    for week in range(4):
        world.slot(world.maya, 9, 13, day=world.day + week * WEEK)
    return world


def weekly(world, hour=10):
    return [at(world.day + n * WEEK, hour) for n in range(4)]


@pytest.fixture
def course(world):
    return course_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts=weekly(world),
        patient=patient(),
        now=timezone.now(),
        privacy_notice_version="2026-12",
    )


def sessions_of(course):
    return list(course.appointments.order_by("course_session"))


def late_hours(clinic, hours):
    clinic.late_cancellation_hours = hours
    clinic.save()
    forget_clinic()


def sent(notification, *, now=None):
    deliver_notification(notification_id=notification.pk, now=now or timezone.now())
    notification.refresh_from_db()
    return notification


def html_of(message) -> str:
    [(html, _mimetype)] = message.alternatives
    return html


def calendar_of(message) -> bytes:
    [part] = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    # MIME text travels with CRLF line ends; Python hands the part back with LF.
    return part.get_content().replace("\r\n", "\n").replace("\n", "\r\n").encode()


def long_day(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local:%A} {local.day} {local:%B %Y}"


def opened(course_session) -> Client:
    """A browser that has opened the private link of this session."""
    client = Client()
    response = client.get(reverse("booking:manage", kwargs={"token": manage_token(course_session)}))
    assert response.status_code == 302
    return client


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Parsing the calendar file ------------------------------------------------------


def unfolded_lines(data: bytes) -> list[str]:
    """RFC 5545 by hand: CRLF lines of at most 75 octets, folded lines joined again."""
    assert data.endswith(b"\r\n")
    raw = data.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in raw), "a line is longer than 75 octets"
    assert not any(b"\n" in line or b"\r" in line for line in raw)
    lines: list[str] = []
    for line in raw:
        if line[:1] in (b" ", b"\t"):
            lines[-1] += line[1:].decode()
        else:
            lines.append(line.decode())
    return lines


def events_by_hand(data: bytes) -> list[dict[str, str]]:
    """Each VEVENT's properties (name: value), checking BEGIN/END nest properly."""
    events, stack, current = [], [], None
    for line in unfolded_lines(data):
        name, _sep, value = line.partition(":")
        name = name.split(";")[0].upper()
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                current = {}
        elif name == "END":
            assert stack.pop() == value
            if value == "VEVENT":
                events.append(current)
                current = None
        elif current is not None and stack[-1] == "VEVENT":
            current[name] = value
    assert stack == []
    return events


def events_with_icalendar(data: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["METHOD"] == "PUBLISH"
    return list(calendar.walk("VEVENT"))


def assert_four_course_events(data: bytes, course) -> None:
    """Both readers find the four sessions, each with its own UID, in order."""
    sessions = sessions_of(course)
    by_library = events_with_icalendar(data)
    by_hand = events_by_hand(data)
    assert len(by_library) == len(by_hand) == 4
    uids = [str(event["UID"]) for event in by_library]
    assert uids == [event["UID"] for event in by_hand]
    assert len(set(uids)) == 4
    assert uids == [f"{s.reference}@{uids[0].split('@')[1]}" for s in sessions]
    assert [event.decoded("DTSTART") for event in by_library] == [
        s.starts_at.astimezone(UTC) for s in sessions
    ]
    for number, event in enumerate(by_library, start=1):
        assert f"session {number} of 4" in str(event["SUMMARY"])
    for event in by_hand:
        assert {"DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "STATUS"} <= event.keys()


# --- The confirmation ------------------------------------------------------------------


def test_the_course_confirmation_lists_every_session_in_text_and_html(course, mailoutbox):
    confirmation = Notification.objects.get(kind=Kind.CONFIRMED)
    sent(confirmation)

    [message] = mailoutbox
    assert message.subject.startswith("Confirmed: Physiotherapy follow-up, 4 sessions from ")
    for session in sessions_of(course):
        line = f"Session {session.course_session}: {long_day(session.starts_at)}, 10:00–10:30"
        assert line in message.body
        assert long_day(session.starts_at) in html_of(message)
    assert "Your course of 4 sessions is confirmed" in message.body
    assert "Your course of 4 sessions is confirmed" in html_of(message)
    assert "Session:    1 of 4" in message.body


def test_a_course_request_says_every_time_is_held(world, mailoutbox):
    world.follow_up.confirmation = "always"
    world.follow_up.save()
    course = course_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts=weekly(world),
        patient=patient(),
        now=timezone.now(),
    )
    sent(Notification.objects.get(kind=Kind.REQUEST_RECEIVED))

    [message] = mailoutbox
    assert "request for a course of 4 sessions" in message.body
    assert len(events_with_icalendar(calendar_of(message))) == 4
    assert {s.status for s in sessions_of(course)} == {AppointmentStatus.REQUESTED}


def test_the_confirmations_calendar_file_holds_four_events_with_stable_uids(course, mailoutbox):
    sent(Notification.objects.get(kind=Kind.CONFIRMED))

    [message] = mailoutbox
    data = calendar_of(message)
    assert_four_course_events(data, course)
    [part] = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == f"course-{course.reference}.ics"


def test_moving_one_session_bumps_only_its_sequence_and_keeps_every_uid(course):
    from booking.ics import appointment_ics

    first, second, *_ = sessions_of(course)
    before = events_with_icalendar(appointment_ics(first))
    appointment_reschedule(
        appointment_id=second.pk,
        starts_at=second.starts_at + timedelta(hours=1),
        now=timezone.now(),
    )
    after = events_with_icalendar(appointment_ics(first))

    assert [str(e["UID"]) for e in before] == [str(e["UID"]) for e in after]
    sequences = [
        (int(b["SEQUENCE"]), int(a["SEQUENCE"])) for b, a in zip(before, after, strict=True)
    ]
    assert sequences[1][1] > sequences[1][0]
    assert [b == a for b, a in sequences] == [True, False, True, True]
    assert after[1].decoded("DTSTART") == (second.starts_at + timedelta(hours=1)).astimezone(UTC)


def test_the_calendar_link_of_any_session_gives_the_whole_course(course):
    for session in sessions_of(course):
        response = Client().get(ics_url(session).removeprefix("http://testserver"))
        assert response.status_code == 200
        assert f'filename="course-{course.reference}.ics"' in response["Content-Disposition"]
        assert_four_course_events(response.content, course)


def test_the_calendar_file_of_the_private_page_gives_the_whole_course(course):
    third = sessions_of(course)[2]
    client = opened(third)
    response = client.get(reverse("booking:appointment_ics", kwargs={"reference": third.reference}))

    assert response.status_code == 200
    assert_four_course_events(response.content, course)


def test_a_single_appointment_keeps_its_one_event_file(world):
    single = appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 11),
        patient=patient(),
        now=timezone.now(),
    )
    response = Client().get(ics_url(single).removeprefix("http://testserver"))

    assert f'filename="appointment-{single.reference}.ics"' in response["Content-Disposition"]
    [event] = events_with_icalendar(response.content)
    assert "session" not in str(event["SUMMARY"])


# --- E-mails about one session ----------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.REMINDER, Kind.RESCHEDULED])
def test_an_email_about_one_session_says_which_session_it_is(course, mailoutbox, kind):
    second = sessions_of(course)[1]
    sent(queue_notification(appointment=second, kind=kind))

    [message] = mailoutbox
    assert "session 2 of 4" in message.subject
    assert "This is session 2 of 4 of the course" in message.body
    assert "This is session 2 of 4 of the course" in html_of(message)
    assert "10:00–10:30 (confirmed), this one" in message.body


def test_cancelling_one_session_leaves_the_others_and_says_which_was_cancelled(course, mailoutbox):
    second = sessions_of(course)[1]
    client = opened(second)

    response = client.post(reverse("booking:cancel", kwargs={"reference": second.reference}))

    assert response.status_code == 302
    statuses = [s.status for s in sessions_of(course)]
    assert statuses == [
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.CANCELLED_BY_PATIENT,
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.CONFIRMED,
    ]
    sent(Notification.objects.get(kind=Kind.CANCELLED))
    [message] = mailoutbox
    assert message.subject.startswith("Cancelled: Physiotherapy follow-up, session 2 of 4, ")
    assert "As you asked, your appointment is cancelled." in message.body
    calendar = events_with_icalendar(calendar_of(message))
    assert [str(e["STATUS"]) for e in calendar] == [
        "CONFIRMED",
        "CANCELLED",
        "CONFIRMED",
        "CONFIRMED",
    ]
    assert at(world_day(course) + WEEK, 10) in free_times(course)


def world_day(course):
    return timezone.localtime(sessions_of(course)[0].starts_at).date()


def free_times(course) -> set:
    _who, starts = free_starts(
        treatment=course.treatment,
        practitioner=course.practitioner,
        start=world_day(course),
        days=4 * 7,
        now=timezone.now(),
    )
    return set(starts)


# --- The private page shows the course --------------------------------------------------


def test_the_private_page_of_a_session_shows_every_session_of_the_course(course):
    sessions = sessions_of(course)
    second = sessions[1]
    client = opened(second)

    response = client.get(reverse("booking:appointment", kwargs={"reference": second.reference}))

    text = page_text(response)
    assert "Your course: session 2 of 4" in text
    for session in sessions:
        assert f"Session {session.course_session} of 4" in text
        assert long_day(session.starts_at) in text
    html = response.content.decode()
    for other in (sessions[0], sessions[2], sessions[3]):
        assert reverse("booking:reschedule", kwargs={"reference": other.reference}) in html
        assert reverse("booking:cancel", kwargs={"reference": other.reference}) in html
    assert "Cancel the rest of the course" in text
    assert "Cancel this session" in text
    assert "Add every session to your calendar (.ics)" in text


def test_the_link_of_one_session_opens_the_pages_of_the_others(course):
    first, second, *_ = sessions_of(course)
    client = opened(first)

    for suffix in ("booking:appointment", "booking:cancel", "booking:reschedule"):
        response = client.get(reverse(suffix, kwargs={"reference": second.reference}))
        assert response.status_code == 200, suffix


def test_another_patients_link_does_not_open_the_course(course, world):
    stranger = appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 12),
        patient=patient(name="Ann Other", email="ann@example.com"),
        now=timezone.now(),
    )
    client = opened(stranger)
    second = sessions_of(course)[1]

    response = client.get(reverse("booking:appointment", kwargs={"reference": second.reference}))

    assert response.status_code == 403


def test_after_the_first_session_its_link_opens_the_next_one(course, time_machine):
    first, second, *_ = sessions_of(course)
    time_machine.move_to(first.ends_at + timedelta(hours=1))

    client = Client()
    response = client.get(reverse("booking:manage", kwargs={"token": manage_token(first)}))

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "booking:appointment", kwargs={"reference": second.reference}
    )
    page = client.get(response["Location"])
    assert "Your course: session 2 of 4" in page_text(page)


# --- Cancelling the rest ---------------------------------------------------------------


def test_cancel_the_rest_cancels_later_sessions_outside_the_window_and_frees_them(
    course, clinic, mailoutbox
):
    # Session 1 (3 to 5 days ahead) is inside a week's window; the others are not.
    late_hours(clinic, 7 * 24)
    sessions = sessions_of(course)
    freed = []

    def heard(sender, **kwargs):
        freed.append(kwargs["starts_at"])

    signals.time_freed.connect(heard, dispatch_uid="test-course-rest")
    try:
        client = opened(sessions[1])
        confirm = client.get(
            reverse("booking:cancel", kwargs={"reference": sessions[1].reference}),
            {"scope": "rest"},
        )
        assert "Session 1 of 4" in page_text(confirm)  # the one that stays, said so
        response = client.post(
            reverse("booking:cancel", kwargs={"reference": sessions[1].reference}),
            {"scope": "rest"},
        )
    finally:
        signals.time_freed.disconnect(dispatch_uid="test-course-rest")

    assert response.status_code == 302
    assert [s.status for s in sessions_of(course)] == [
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.CANCELLED_BY_PATIENT,
        AppointmentStatus.CANCELLED_BY_PATIENT,
        AppointmentStatus.CANCELLED_BY_PATIENT,
    ]
    texts = message_texts(response)
    assert "Sessions 2, 3 and 4 are cancelled. Their times are free again." in texts
    assert any("Session 1 starts too soon" in text and "phone" in text for text in texts)
    # The waitlist hears of every freed time, and each is offered again.
    assert freed == [s.starts_at for s in sessions[1:]]
    assert {s.starts_at for s in sessions[1:]} <= free_times(course)
    # The clinic hears of each session; the patient gets one e-mail.
    assert Notification.objects.filter(kind=Kind.CLINIC_CANCELLED).count() == 3
    patient_emails = Notification.objects.filter(kind=Kind.CANCELLED).order_by("pk")
    assert [n.status for n in patient_emails] == [
        NotificationStatus.QUEUED,
        NotificationStatus.SKIPPED,
        NotificationStatus.SKIPPED,
    ]
    for notification in patient_emails:
        sent(notification)
    [message] = mailoutbox
    assert message.subject == "Cancelled: Physiotherapy follow-up, sessions 2, 3 and 4 of 4"
    assert "sessions 2, 3 and 4 of your course are cancelled" in message.body
    assert "The rest of your course is cancelled" in html_of(message)
    statuses = [str(e["STATUS"]) for e in events_with_icalendar(calendar_of(message))]
    assert statuses == ["CONFIRMED", "CANCELLED", "CANCELLED", "CANCELLED"]


def test_cancel_the_rest_from_the_first_session_cancels_all_four(course, mailoutbox):
    first = sessions_of(course)[0]

    done = course_cancel_rest(appointment_id=first.pk, now=timezone.now())

    assert [s.course_session for s in done.cancellable] == [1, 2, 3, 4]
    assert done.too_soon == []
    assert {s.status for s in sessions_of(course)} == {AppointmentStatus.CANCELLED_BY_PATIENT}


def test_cancel_the_rest_leaves_sessions_already_over(course, time_machine):
    first, second, *_ = sessions_of(course)
    now = first.ends_at + timedelta(hours=1)

    done = course_cancel_rest(appointment_id=second.pk, now=now)

    assert [s.course_session for s in done.cancellable] == [2, 3, 4]
    first.refresh_from_db()
    assert first.status == AppointmentStatus.CONFIRMED


def test_cancel_the_rest_inside_the_window_refuses_and_says_to_phone(course, clinic):
    late_hours(clinic, 60 * 24)  # every session is inside the window
    second = sessions_of(course)[1]
    client = opened(second)

    page = client.get(
        reverse("booking:cancel", kwargs={"reference": second.reference}), {"scope": "rest"}
    )
    response = client.post(
        reverse("booking:cancel", kwargs={"reference": second.reference}), {"scope": "rest"}
    )

    assert "can no longer be cancelled online" in page_text(page)
    assert "Yes, cancel the rest" not in page_text(page)
    assert response.status_code == 302
    assert message_texts(response) == [
        "The sessions left start too soon to cancel online. Please phone the clinic."
    ]
    assert {s.status for s in sessions_of(course)} == {AppointmentStatus.CONFIRMED}
    assert not Notification.objects.filter(kind=Kind.CANCELLED).exists()


def test_the_service_refuses_inside_the_window_with_nothing_changed(course, clinic):
    late_hours(clinic, 60 * 24)

    with pytest.raises(CancellationWindowError):
        course_cancel_rest(appointment_id=sessions_of(course)[0].pk, now=timezone.now())

    assert {s.status for s in sessions_of(course)} == {AppointmentStatus.CONFIRMED}


def test_cancel_the_rest_when_nothing_is_left_says_so(course):
    course_cancel_rest(appointment_id=sessions_of(course)[0].pk, now=timezone.now())
    second = sessions_of(course)[1]
    client = opened(second)

    response = client.post(
        reverse("booking:cancel", kwargs={"reference": second.reference}), {"scope": "rest"}
    )

    assert message_texts(response) == ["No sessions of this course are left to cancel."]


# --- Junk in the new field -------------------------------------------------------------

JUNK = ["\x00", "x" * 5000, "9" * 400, "rest\x00", "REST", "letters", "-1", "rest rest"]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_scope_changes_nothing_and_says_so(course, junk):
    second = sessions_of(course)[1]
    client = opened(second)
    url = reverse("booking:cancel", kwargs={"reference": second.reference})

    shown = client.get(url, {"scope": junk})
    posted = client.post(url, {"scope": junk})

    for response in (shown, posted):
        assert response.status_code == 302
        assert message_texts(response)[-1] == (
            "We could not tell what to cancel, so nothing was cancelled."
        )
    assert {s.status for s in sessions_of(course)} == {AppointmentStatus.CONFIRMED}


def test_cancel_the_rest_of_a_single_appointment_is_refused_without_a_500(world):
    single = appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 11),
        patient=patient(),
        now=timezone.now(),
    )
    client = opened(single)
    url = reverse("booking:cancel", kwargs={"reference": single.reference})

    response = client.post(url, {"scope": "rest"})

    assert response.status_code == 302
    single.refresh_from_db()
    assert single.status == AppointmentStatus.CONFIRMED


@pytest.mark.parametrize("param", ["week", "day", "start", "partial"])
@pytest.mark.parametrize("junk", ["\x00", "x" * 5000, "9" * 400, "letters"])
def test_junk_in_the_move_page_of_a_session_gives_no_error(course, param, junk):
    second = sessions_of(course)[1]
    client = opened(second)

    response = client.get(
        reverse("booking:reschedule", kwargs={"reference": second.reference}), {param: junk}
    )

    assert response.status_code in (200, 302)
