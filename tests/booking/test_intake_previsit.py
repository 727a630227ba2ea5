"""Pre-visit forms: the private link, its answers, who may open it and for how long,
front desk filling one in on the phone, "form missing" on Today and in the book,
and the printable answers."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from booking.emails import deliver_notification
from booking.intake.demo import HEALTH_BACKGROUND, form_attach, form_load
from booking.intake.invitations import invitation_token
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    IntakeInvitation,
    IntakeWhen,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from booking.notifications import forms_reminders_queue, queue_notification
from booking.services import PatientDetails, appointment_book, appointment_change_status
from booking.session import GRANTS
from booking.tokens import digest
from tests.booking.staff_world import at, build_staff_world

SUMMER_DAY = date(2027, 7, 1)  # a Thursday
NOW = at(SUMMER_DAY, 8) - timedelta(days=3)
# The badge on an appointment in the book, and on Today (the book's key names it too).
MISSING_BADGE = '<span class="entry__missing">Form missing</span>'
TODAY_BADGE = '<span class="today__missing">Form missing</span>'
ANSWERS = {"medication": "Ibuprofen when needed", "pain_score": "6", "gp_practice": ""}

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic):
    world = build_staff_world(SUMMER_DAY)
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    world.health = form_load(HEALTH_BACKGROUND)
    form_attach(world.physio, world.health, IntakeWhen.BEFORE_VISIT)
    return world


def book(world, hour, *, practitioner=None, name="Ann Lee", email="ann@example.com"):
    return appointment_book(
        treatment=world.physio,
        practitioner=practitioner or world.maya,
        starts_at=at(world.day, hour),
        patient=PatientDetails(name=name, email=email, phone="07700 900111", is_new_patient=True),
        now=NOW,
        privacy_notice_version="2026-11",
    )


def link_of(appointment) -> str:
    invitation = appointment.intake_invitations.get()
    return reverse("booking:intake_link", kwargs={"token": invitation_token(invitation)})


def answer_page(client, appointment):
    """Open the link as the patient does; the page it lands on."""
    response = client.get(link_of(appointment))
    assert response.status_code == 302
    return response["Location"]


def post_answers(client, page, **changes):
    data = {f"q-{key}": value for key, value in {**ANSWERS, **changes}.items()}
    data["intake_versions"] = "health-background:1"
    return client.post(page, data)


def test_a_booking_asks_the_pre_visit_form_with_a_hashed_single_form_link(world):
    appointment = book(world, 9)

    invitation = appointment.intake_invitations.get()
    token = invitation_token(invitation)
    assert invitation.form == world.health and invitation.answered_at is None
    assert invitation.token_hash == digest(token) and token not in invitation.token_hash
    assert len(token) >= 40


def test_the_confirmation_email_carries_the_form_link_until_it_is_filled_in(world, client):
    appointment = book(world, 9)
    appointment_change_status(
        appointment_id=appointment.pk, to_status=AppointmentStatus.CONFIRMED, now=NOW
    )
    confirmed = Notification.objects.get(appointment=appointment, kind=NotificationKind.CONFIRMED)
    deliver_notification(notification_id=confirmed.pk, now=NOW)

    [message] = [m for m in mail.outbox if "confirmed" in m.subject.lower()]
    link = link_of(appointment)
    assert "Your health before the first visit" in message.body
    assert link in message.body and link in message.alternatives[0][0]

    post_answers(client, answer_page(client, appointment))
    mail.outbox.clear()
    reminder = queue_notification(appointment=appointment, kind=NotificationKind.REMINDER)
    deliver_notification(notification_id=reminder.pk, now=NOW)
    [message] = mail.outbox
    assert "Your health before the first visit" not in message.body
    assert link not in message.body


def test_the_link_opens_the_form_and_keeps_the_answers_with_their_words(world, client):
    appointment = book(world, 9)
    page = answer_page(client, appointment)

    shown = client.get(page)
    assert shown.status_code == 200
    assert "Which medicines do you take at the moment?" in shown.text
    assert shown["Cache-Control"].startswith("no-store") or "no-store" in shown["Cache-Control"]
    assert invitation_token(appointment.intake_invitations.get()) not in page

    done = post_answers(client, page)
    assert done.status_code == 302
    appointment.refresh_from_db()
    kept = {item["key"]: item for item in appointment.answers}
    assert kept["medication"]["question"] == "Which medicines do you take at the moment?"
    assert kept["medication"]["value"] == "Ibuprofen when needed"
    assert kept["pain_score"]["value"] == "6"
    assert kept["gp_practice"]["value"] is None
    assert appointment.intake_invitations.get().answered_at is not None
    thanks = client.get(page)
    assert "Thank you" in thanks.text and "Ibuprofen" not in thanks.text


def test_a_mistake_is_shown_next_to_its_field_and_nothing_typed_is_lost(world, client):
    appointment = book(world, 9)
    page = answer_page(client, appointment)

    sent = post_answers(client, page, pain_score="six", medication="Aspirin " * 3)
    assert sent.status_code == 303  # shown by a GET page: Back never asks to resend
    response = client.get(sent["Location"])

    assert response.status_code == 200
    assert "Enter a number, for example 12 or 2.5." in response.text
    assert "Aspirin" not in str(dict(client.session))  # kept encrypted meanwhile
    assert "Aspirin Aspirin Aspirin" in response.text
    assert 'value="six"' in response.text
    assert appointment.intake_invitations.get().answered_at is None


@pytest.mark.parametrize(
    "junk", ["\x00", "x" * 5000, "9" * 400, "<script>alert(1)</script>", "1e999"]
)
def test_junk_in_any_field_is_a_message_never_a_500(world, client, junk):
    appointment = book(world, 9)
    page = answer_page(client, appointment)

    sent = [post_answers(client, page, **{key: junk}) for key in ANSWERS]
    sent.append(client.post(page, {"intake_versions": junk, **{f"q-{k}": junk for k in ANSWERS}}))
    for response in sent:
        if response.status_code == 200:  # an earlier answer was saved: the thank-you page
            assert "Thank you" in response.text
        else:
            assert response.status_code in (302, 303)  # saved, or mistakes shown by a GET
            assert client.get(response["Location"]).status_code == 200


def test_the_link_opens_only_in_the_browser_that_used_it_and_only_its_own_form(world, client):
    ann = book(world, 9)
    bob = book(world, 11, name="Bob Other", email="bob@example.com")
    ann_page = answer_page(client, ann)

    stranger = client.__class__()
    assert stranger.get(ann_page).status_code == 403
    bob_number = bob.intake_invitations.get().pk
    other = reverse("booking:intake_answer", kwargs={"number": bob_number})
    assert client.get(other).status_code == 403
    assert client.get(reverse("booking:intake_link", kwargs={"token": "x" * 43})).status_code == 404
    assert client.get(ann_page).status_code == 200


def test_the_link_expires_when_the_appointment_ends_or_is_cancelled(world, client, time_machine):
    ann = book(world, 9)
    bob = book(world, 11, name="Bob Other", email="bob@example.com")
    ann_page, bob_page = answer_page(client, ann), answer_page(client, bob)

    appointment_change_status(
        appointment_id=bob.pk, to_status=AppointmentStatus.CANCELLED_BY_CLINIC, now=NOW, note="Ill"
    )
    assert client.get(bob_page).status_code == 410
    assert post_answers(client, bob_page).status_code == 410

    assert client.get(link_of(bob)).status_code == 410
    time_machine.move_to(ann.ends_at - timedelta(minutes=1))
    ann_page = answer_page(client, ann)  # the grant is kept for a while, not for months
    assert client.get(ann_page).status_code == 200
    time_machine.move_to(ann.ends_at + timedelta(minutes=1))
    assert client.get(ann_page).status_code == 410
    assert post_answers(client, ann_page).status_code == 410
    assert client.get(link_of(ann)).status_code == 410
    assert ann.intake_invitations.get().answered_at is None


def test_a_patient_who_answered_before_is_not_asked_again(world, client):
    first = book(world, 9)
    post_answers(client, answer_page(client, first))

    second = book(world, 11)

    assert second.patient_id == first.patient_id
    assert not second.intake_invitations.exists()


def test_today_and_the_book_say_form_missing_until_it_is_filled_in(world, client, time_machine):
    appointment = book(world, 9)
    appointment_change_status(
        appointment_id=appointment.pk, to_status=AppointmentStatus.CONFIRMED, now=NOW
    )
    time_machine.move_to(at(world.day, 8))  # the morning of the visit: Today lists it
    client.force_login(world.desk)
    day_url = reverse("admin:booking_schedule_day") + f"?date={world.day}"
    today = reverse("admin:index")

    assert MISSING_BADGE in client.get(day_url).text
    assert TODAY_BADGE in client.get(today).text
    panel = client.get(day_url + f"&open={appointment.pk}").text
    fill = reverse(
        "admin:booking_appointmentrequest_intake_fill",
        args=[appointment.pk, appointment.intake_invitations.get().pk],
    )
    assert fill in panel

    patient = client.__class__()
    post_answers(patient, answer_page(patient, appointment))

    assert MISSING_BADGE not in client.get(day_url).text
    assert TODAY_BADGE not in client.get(today).text


def test_front_desk_fills_the_form_in_on_the_phone(world, client):
    appointment = book(world, 9)
    invitation = appointment.intake_invitations.get()
    client.force_login(world.desk)
    fill = reverse(
        "admin:booking_appointmentrequest_intake_fill", args=[appointment.pk, invitation.pk]
    )

    empty = client.post(fill, {})
    assert empty.status_code == 200
    assert "Answer this question." in empty.text

    saved = client.post(fill, {f"q-{k}": v for k, v in ANSWERS.items()})
    assert saved.status_code == 302
    invitation.refresh_from_db()
    assert invitation.answered_at is not None and invitation.answered_by == world.desk
    appointment.refresh_from_db()
    assert {i["key"]: i["value"] for i in appointment.answers}["pain_score"] == "6"


def test_a_practitioner_sees_and_fills_only_their_own_appointments_forms(world, client):
    ann = book(world, 9)
    bob = book(world, 11, practitioner=world.tom, name="Bob Other", email="bob@example.com")
    client.force_login(world.maya_user)
    own = reverse("admin:booking_appointmentrequest_answers", args=[ann.pk])
    other = reverse("admin:booking_appointmentrequest_answers", args=[bob.pk])
    other_fill = reverse(
        "admin:booking_appointmentrequest_intake_fill",
        args=[bob.pk, bob.intake_invitations.get().pk],
    )

    assert client.get(own).status_code == 200
    assert client.get(other).status_code == 404
    assert client.get(other_fill).status_code == 404
    assert client.post(other_fill, {f"q-{k}": v for k, v in ANSWERS.items()}).status_code == 404
    assert bob.intake_invitations.get().answered_at is None


def test_the_printable_answers_show_each_question_as_asked(world, client):
    appointment = book(world, 9)
    post_answers(client, answer_page(client, appointment))
    client.force_login(world.desk)

    page = client.get(reverse("admin:booking_appointmentrequest_answers", args=[appointment.pk]))

    assert page.status_code == 200
    assert "Which medicines do you take at the moment?" in page.text
    assert "Ibuprofen when needed" in page.text
    assert "version 1" in page.text
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    assert not re.search(r"<script", page.text)


def test_anonymising_erases_the_answers(world, client):
    from booking.services import appointments_anonymise

    appointment = book(world, 9)
    post_answers(client, answer_page(client, appointment))

    appointments_anonymise(
        ended_before=appointment.ends_at + timedelta(days=1),
        now=appointment.ends_at + timedelta(days=400),
    )

    appointment.refresh_from_db()
    assert appointment.answers == []
    assert not AppointmentRequest.objects.filter(answers__icontains="Ibuprofen").exists()
    assert IntakeInvitation.objects.filter(appointment=appointment).count() <= 1


def test_a_reminder_asks_again_days_before_only_while_a_form_is_missing(world, client, settings):
    settings.INTAKE_REMINDER_DAYS = 2
    ann = book(world, 9)
    bob = book(world, 11, name="Bob Other", email="bob@example.com")
    post_answers(client, answer_page(client, bob))
    three_days_before = ann.starts_at - timedelta(days=3)
    a_day_before = ann.starts_at - timedelta(days=1)

    assert forms_reminders_queue(now=three_days_before) == []
    [queued] = forms_reminders_queue(now=a_day_before)
    assert queued.appointment == ann and queued.kind == NotificationKind.FORMS_REMINDER
    assert forms_reminders_queue(now=a_day_before) == []  # once only

    mail.outbox.clear()
    deliver_notification(notification_id=queued.pk, now=a_day_before)
    [message] = mail.outbox
    assert link_of(ann) in message.body
    assert "Your health before the first visit" in message.body


def test_a_forms_reminder_filled_in_meanwhile_is_not_sent(world, client, settings):
    settings.INTAKE_REMINDER_DAYS = 2
    ann = book(world, 9)
    a_day_before = ann.starts_at - timedelta(days=1)
    [queued] = forms_reminders_queue(now=a_day_before)
    post_answers(client, answer_page(client, ann))
    mail.outbox.clear()

    deliver_notification(notification_id=queued.pk, now=a_day_before)

    assert mail.outbox == []
    queued.refresh_from_db()
    assert queued.status == NotificationStatus.SKIPPED
    assert "every pre-visit form has been filled in" in queued.last_error


def test_no_forms_reminder_when_turned_off(world, settings):
    settings.INTAKE_REMINDER_DAYS = 0
    ann = book(world, 9)
    assert forms_reminders_queue(now=ann.starts_at - timedelta(days=1)) == []


def test_the_confirmation_page_opens_the_form_in_the_browser_that_booked(world, client):
    import time

    appointment = book(world, 9)
    invitation = appointment.intake_invitations.get()
    session = client.session
    session[GRANTS] = {appointment.reference: time.time() + 600}  # as booking grants it
    session.save()
    page = reverse("booking:intake_answer", kwargs={"number": invitation.pk})
    assert client.get(page).status_code == 403  # not before the confirmation was shown

    confirmed = client.get(
        reverse("booking:confirmed", kwargs={"reference": appointment.reference})
    )

    assert "Before your visit" in confirmed.text and page in confirmed.text
    assert client.get(page).status_code == 200
    assert client.__class__().get(page).status_code == 403


@pytest.mark.parametrize("junk", ["\x00", "x" * 5000, "9" * 400, "1e999", "<b>"])
def test_junk_on_the_phone_fill_page_is_a_message_never_a_500(world, client, junk):
    appointment = book(world, 9)
    invitation = appointment.intake_invitations.get()
    client.force_login(world.desk)
    fill = reverse(
        "admin:booking_appointmentrequest_intake_fill", args=[appointment.pk, invitation.pk]
    )

    response = client.post(fill, {f"q-{key}": junk for key in ANSWERS})

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "errornote" in response.text
    for bad in (f"/admin/booking/appointmentrequest/{appointment.pk}/forms/99999999999/",):
        assert client.get(bad).status_code == 404


def test_the_private_page_lists_the_forms_still_to_fill_in(world, client):
    import time

    appointment = book(world, 9)
    session = client.session
    session[GRANTS] = {appointment.reference: time.time() + 600}
    session.save()
    manage = reverse("booking:appointment", kwargs={"reference": appointment.reference})

    assert "Your health before the first visit" in client.get(manage).text
    post_answers(client, answer_page(client, appointment))
    assert "Before your visit" not in client.get(manage).text
