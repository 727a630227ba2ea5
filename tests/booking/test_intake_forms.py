"""Intake forms the clinic writes (issue 28): asked while booking, checked, kept as worded.

A form is made here as staff make one in admin (rows, then a published
version), and attached to a treatment with no code change. Answers go through
the details step with the test client (no JavaScript), and each rule is
checked where a patient, a script or staff could break it.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import management
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from booking import flow
from booking.admin.intake import IntakeQuestionForm
from booking.errors import BookingError
from booking.intake.fields import CHECKLIST_MISSING
from booking.intake.questions import answers_kept, booking_forms, kept_values
from booking.intake.versions import form_publish
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    Confirmation,
    IntakeForm,
    IntakeFormVersion,
    IntakeQuestion,
    TreatmentIntakeForm,
)
from booking.services import appointment_book, course_book
from booking.waitlist.services import offer_claim
from tests.booking.booking_world import at, make_world, patient
from tests.booking.intake_world import ALL_NO, SAFETY_KEYS, SAFETY_WORDING
from tests.booking.staff_world import build_staff_world
from tests.booking.waitlist_world import join, offer_time

pytestmark = pytest.mark.django_db

S = AppointmentStatus

# The clinic's own form: three questions of three kinds, none of them in a list.
MASSAGE_FORM = {
    "slug": "before-massage",
    "title": "Before your massage",
    "intro": "Three questions so your therapist can prepare.",
    "questions": [
        {
            "key": "area",
            "kind": "one_choice",
            "text": "Which area hurts most?",
            "choices": "Neck\nLower back\nShoulder",
        },
        {"key": "gp", "kind": "short_text", "text": "Which GP practice are you registered with?"},
        {"key": "oil", "kind": "yes_no", "text": "Are you allergic to any massage oil?"},
    ],
}
AREA, GP, OIL = (question["text"] for question in MASSAGE_FORM["questions"])

# Every other kind, for the messages beside each field.
PAIN_FORM = {
    "slug": "pain-diary",
    "title": "Your pain",
    "questions": [
        {"key": "since", "kind": "date", "text": "When did the pain start?"},
        {"key": "score", "kind": "number", "text": "How bad is it today, from 0 to 10?"},
        {"key": "story", "kind": "long_text", "text": "What happened?"},
        {
            "key": "worse",
            "kind": "several_choices",
            "text": "What makes it worse?",
            "choices": "Sitting\nWalking\nLifting",
        },
    ],
}


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}


@pytest.fixture
def world(clinic):
    world = make_world()
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    return world


def make_form(data: dict, *, checklist: bool = False) -> IntakeForm:
    """A form as staff write it in admin: the form, its questions, then its version."""
    form = IntakeForm.objects.create(
        slug=data["slug"], title=data["title"], intro=data.get("intro", ""), checklist=checklist
    )
    for position, question in enumerate(data["questions"]):
        IntakeQuestion.objects.create(form=form, position=position, **question)
    form_publish(form=form)
    return form


def attach(treatment, form: IntakeForm) -> None:
    """What the treatment's admin page does: no code, one row."""
    TreatmentIntakeForm.objects.create(treatment=treatment, form=form, when="booking")
    treatment.__dict__.pop("_intake_booking", None)


@pytest.fixture
def massage_form(world):
    form = make_form(MASSAGE_FORM)
    attach(world.follow_up, form)
    return form


def details_url(world, treatment, hour=10, practitioner=None):
    return flow.url(
        "booking:details",
        treatment=treatment.slug,
        practitioner=(practitioner or world.maya).slug,
        start=flow.start_format(at(world.day, hour)),
    )


CONTACT = {
    "name": "Robin Hale",
    "email": "robin@example.com",
    "phone": "07700 900555",
    "patient_type": "new",
    "reason": "Sore shoulder",
    "consent": "on",
    "website": "",
}
ANSWERED = {"q-area": "Lower back", "q-gp": "Willow Lane Surgery", "q-oil": "no"}


def hidden_fields(content: str, action: str) -> dict:
    start = content.index(f'action="{action}"')
    form = content[start : content.index("</form>", start)]
    fields = dict(re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', form))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def versions_shown(client, url) -> str:
    """The hidden list of form versions on the details page ("" when it asks no form)."""
    page = client.get(url).content.decode()
    found = re.search(r'name="intake_versions" value="([^"]*)"', page)
    return found.group(1) if found else ""


def send_details(client, url, answers: dict, **contact):
    """The details form as a browser sends it: the versions the page showed, and the answers."""
    data = {**CONTACT, **contact, "intake_versions": versions_shown(client, url), **answers}
    return client.post(url, data, follow=True)


def book_online(client, url, answers: dict, **contact):
    """Details, review, press the button: the response of the last step."""
    review = send_details(client, url, answers, **contact)
    assert review.status_code == 200
    return client.post(
        reverse("booking:confirm"), hidden_fields(review.content.decode(), "/book/confirm/")
    )


def field_block(content: str, name: str) -> str:
    """The markup of one field: its label, its input and the message beside it."""
    start = content.index(f'id="div_id_{name}"')
    return content[start : content.index('id="div_id_', start + 1)]


def kept(key, kind, question, value, answer, flag="", version=1) -> dict:
    """One answer as the appointment keeps it, with the massage form's title."""
    return {
        "form": "before-massage",
        "form_title": "Before your massage",
        "version": version,
        "key": key,
        "kind": kind,
        "question": question,
        "value": value,
        "answer": answer,
        "flag": flag,
    }


# --- A form the clinic writes, asked with no code change ---------------------------------


def test_a_clinic_form_of_three_kinds_is_asked_and_kept_with_its_exact_wording(
    client, world, massage_form
):
    url = details_url(world, world.follow_up)
    page = client.get(url).content.decode()
    for words in ["Before your massage", AREA, GP, OIL, "Lower back", "Shoulder"]:
        assert words in page
    assert 'name="q-area"' in page and 'name="q-gp"' in page and 'name="q-oil"' in page
    assert "None of these apply to me" not in page  # its yes/no question is not in a list
    assert versions_shown(client, url) == "before-massage:1"

    response = book_online(client, url, ANSWERED)

    assert response.status_code == 302
    appointment = AppointmentRequest.objects.get()
    assert appointment.status == S.CONFIRMED  # the follow-up is never a request
    assert appointment.answers == [
        kept("area", "one_choice", AREA, "Lower back", "Lower back"),
        kept("gp", "short_text", GP, "Willow Lane Surgery", "Willow Lane Surgery"),
        kept("oil", "yes_no", OIL, False, "No"),
    ]
    # Another treatment does not ask it, and keeps nothing of it.
    assert not booking_forms(world.massage)


def test_a_form_that_is_made_inactive_is_no_longer_asked(client, world, massage_form):
    IntakeForm.objects.filter(pk=massage_form.pk).update(is_active=False)

    response = book_online(client, details_url(world, world.follow_up), {})

    assert response.status_code == 302
    assert AppointmentRequest.objects.get().answers == []


# --- Each field's message beside it; nothing typed is lost; never a 500 --------------------


@pytest.fixture
def every_kind(world, massage_form):
    attach(world.follow_up, make_form(PAIN_FORM))
    return world


GOOD = {
    **ANSWERED,
    "q-since": "2026-10-01",
    "q-score": "7",
    "q-story": "Slipped on the stairs",
    "q-worse": ["Sitting", "Lifting"],
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("q-area", "", "Choose one answer."),
        ("q-gp", "", "Answer this question."),
        ("q-oil", "", "Answer yes or no."),
        ("q-since", "", "Enter a date."),
        ("q-score", "", "Enter a number."),
        ("q-story", "", "Answer this question."),
        ("q-worse", [], "Choose at least one answer."),
        ("q-area", "Knee", "Choose one of the answers listed."),
        ("q-worse", ["Sitting", "Dancing"], "Choose from the answers listed."),
        ("q-oil", "maybe", "Select a valid choice."),
        ("q-score", "seven", "Enter a number, for example 12 or 2.5."),
        ("q-score", "7 out of 10", "Enter a number, for example 12 or 2.5."),
        ("q-since", "2026-02-30", "Enter a real date, for example 24/06/2027."),
        ("q-since", "yesterday", "Enter a real date, for example 24/06/2027."),
        ("q-gp", "x" * 5000, "Please keep this under 300 characters."),
        ("q-story", "x" * 5000, "Please keep this under 2,000 characters."),
        ("q-gp", "Willow\x00Lane", "Null characters are not allowed."),
        ("q-story", "Slipped\x00", "Null characters are not allowed."),
    ],
)
def test_each_answer_gets_its_message_beside_its_field_and_nothing_typed_is_lost(
    client, every_kind, field, value, message
):
    world = every_kind
    url = details_url(world, world.follow_up)

    response = send_details(client, url, {**GOOD, field: value})

    content = response.content.decode()
    # Mistakes come back on a GET page, as every mistake of the details step does.
    assert [status for _url, status in response.redirect_chain] == [303]
    assert response.status_code == 200
    assert message in field_block(content, field)
    for other in {"q-area", "q-gp", "q-oil", "q-since", "q-score", "q-story", "q-worse"} - {field}:
        assert message not in field_block(content, other)
    # What was typed in the field itself is shown again, to be corrected...
    if field in {"q-gp", "q-since", "q-score"} and value and "\x00" not in value:
        assert f'value="{value}"' in field_block(content, field)
    if field == "q-story" and value and "\x00" not in value:
        assert f">\n{value}</textarea>" in field_block(content, field)
    # ...and everything else typed or chosen is on the page again.
    typed = {
        "q-area": r'name="q-area" value="Lower back"[^>]*checked',
        "q-gp": r'name="q-gp" value="Willow Lane Surgery"',
        "q-oil": r'name="q-oil" value="no"[^>]*checked',
        "q-since": r'name="q-since" value="2026-10-01"',
        "q-score": r'name="q-score" value="7"',
        "q-story": r">\s*Slipped on the stairs</textarea>",
        "q-worse": r'name="q-worse" value="Lifting"[^>]*checked',
    }
    for name, pattern in typed.items():
        if name != field:
            assert re.search(pattern, content), name
    for value_typed in ["Robin Hale", "robin@example.com", "07700 900555"]:
        assert f'value="{value_typed}"' in content
    assert "Sore shoulder" in content
    assert AppointmentRequest.objects.count() == 0


def test_every_answer_given_is_kept_as_typed_with_each_kinds_value(client, every_kind):
    world = every_kind

    response = book_online(client, details_url(world, world.follow_up), GOOD)

    assert response.status_code == 302
    answers = AppointmentRequest.objects.get().answers
    assert kept_values(answers) == {
        "area": "Lower back",
        "gp": "Willow Lane Surgery",
        "oil": False,
        "since": "2026-10-01",
        "score": "7",
        "story": "Slipped on the stairs",
        "worse": ["Sitting", "Lifting"],
    }
    assert [item["question"] for item in answers] == [
        question["text"] for question in MASSAGE_FORM["questions"] + PAIN_FORM["questions"]
    ]
    assert [item["version"] for item in answers] == [1] * 7
    assert answers[-1]["answer"] == "Sitting, Lifting"


JUNK = [
    "\x00",
    "\x00" * 20,
    "x" * 5000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "💉" * 400,
    "NaN",
    "-Infinity",
    "1e999999",
    "99999999999999999999.999",
    "0000-00-00",
    "99999-12-31",
    "\r\n\t",
    ["Lower back", "Neck", "\x00"],
]


@pytest.mark.parametrize("value", JUNK, ids=range(len(JUNK)))
def test_junk_in_any_intake_field_gets_a_page_never_an_error_nor_a_booking(
    client, world, every_kind, value
):
    url = details_url(world, world.follow_up)
    needle_url = details_url(world, world.dry_needling, hour=11)
    fields = [*GOOD, "intake_versions"]
    needle_fields = ["intake-needle-safety", "intake-needle-safety-none", "intake_versions"]

    for name in fields:
        response = client.post(url, {**CONTACT, **GOOD, name: value}, follow=True)
        assert response.status_code == 200, (name, response.status_code)
    for name in needle_fields:
        response = client.post(needle_url, {**CONTACT, name: value}, follow=True)
        assert response.status_code == 200, (name, response.status_code)
    assert AppointmentRequest.objects.count() == 0


# --- Editing a question publishes a new version; answers keep the words they answered ------


def test_editing_a_question_publishes_version_2_and_earlier_answers_keep_their_wording(
    client, world, massage_form
):
    book_online(client, details_url(world, world.follow_up), ANSWERED)
    earlier = AppointmentRequest.objects.get()
    area = massage_form.questions.get(key="area")
    area.text = "Where does it hurt the most?"
    area.choices = "Neck\nLower back\nShoulder\nHip"
    area.save()

    version = form_publish(form=massage_form)

    assert version.number == 2
    assert list(massage_form.versions.order_by("number").values_list("number", flat=True)) == [
        1,
        2,
    ]
    first = IntakeFormVersion.objects.get(form=massage_form, number=1)
    assert first.definition["questions"][0]["text"] == AREA  # version 1 is never rewritten
    assert form_publish(form=massage_form).pk == version.pk  # nothing changed: no version 3
    earlier.refresh_from_db()
    assert earlier.answers[0]["question"] == AREA and earlier.answers[0]["version"] == 1
    # A booking from now on answers version 2, in its words.
    assert versions_shown(client, details_url(world, world.follow_up, 11)) == "before-massage:2"
    book_online(
        client,
        details_url(world, world.follow_up, 11),
        {**ANSWERED, "q-area": "Hip"},
        email="later@example.com",
    )
    later = AppointmentRequest.objects.get(email="later@example.com")
    assert later.answers[0]["question"] == "Where does it hurt the most?"
    assert (later.answers[0]["version"], later.answers[0]["value"]) == (2, "Hip")

    # Staff read each appointment's answers in the words its patient read.
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "x" * 20))
    change = reverse("admin:booking_appointmentrequest_change", args=[earlier.pk])
    page = client.get(change).content.decode()
    assert AREA in page and "Where does it hurt the most?" not in page
    assert "(version 1)" in page and "Lower back" in page
    later_page = client.get(
        reverse("admin:booking_appointmentrequest_change", args=[later.pk])
    ).content.decode()
    assert "Where does it hurt the most?" in later_page and AREA not in later_page


def test_a_patient_who_saw_version_1_is_held_to_version_1_after_an_edit(
    client, world, massage_form
):
    url = details_url(world, world.follow_up)
    shown = versions_shown(client, url)  # the page as the patient opened it
    area = massage_form.questions.get(key="area")
    area.text = "Where does it hurt the most?"
    area.choices = "Neck\nHip"
    area.save()
    form_publish(form=massage_form)

    review = client.post(url, {**CONTACT, **ANSWERED, "intake_versions": shown}, follow=True)
    response = client.post(
        reverse("booking:confirm"), hidden_fields(review.content.decode(), "/book/confirm/")
    )

    assert response.status_code == 302
    area = AppointmentRequest.objects.get().answers[0]
    assert (area["question"], area["version"], area["value"]) == (AREA, 1, "Lower back")


def test_an_old_version_named_hours_after_an_edit_cannot_skip_a_new_required_question(
    client, world, massage_form, time_machine
):
    url = details_url(world, world.follow_up)
    shown = versions_shown(client, url)
    massage_form.questions.create(
        key="allergies", kind="short_text", text="Any allergies to oils?", position=9
    )
    form_publish(form=massage_form)
    time_machine.move_to(timezone.now() + timedelta(hours=3))  # past a page's answers

    response = client.post(url, {**CONTACT, **ANSWERED, "intake_versions": shown}, follow=True)

    content = response.content.decode()
    assert "Any allergies to oils?" in content and "Answer this question." in content
    assert 'name="intake_versions" value="before-massage:2"' in content
    assert AppointmentRequest.objects.count() == 0


# --- The needle safety questions cannot be skipped ----------------------------------------


def test_a_crafted_post_without_the_safety_list_books_nothing(client, world):
    url = details_url(world, world.dry_needling)

    response = client.post(url, CONTACT, follow=True)

    content = response.content.decode()
    assert CHECKLIST_MISSING in content
    assert "Request this appointment" not in content and "Book this appointment" not in content
    assert AppointmentRequest.objects.count() == 0


def test_details_reviewed_for_a_treatment_without_the_form_are_not_booked_as_needling(
    client, world
):
    review = send_details(client, details_url(world, world.follow_up), {})
    fields = hidden_fields(review.content.decode(), "/book/confirm/")

    response = client.post(
        reverse("booking:confirm"), {**fields, "treatment": world.dry_needling.slug}
    )

    assert response.status_code == 400
    assert "I am pregnant, or could be" in response.content.decode()
    assert AppointmentRequest.objects.count() == 0


@pytest.mark.parametrize(
    "forged",
    [
        "needle-safety:999",
        "needle-safety:0",
        "before-massage:1",
        "needle-safety:2",
        "needle-safety:²",  # a digit to str.isdigit(), not to int()
        "needle-safety:１",  # a digit to int(), not ASCII
    ],
)
def test_forged_versions_still_ask_the_safety_questions(client, world, massage_form, forged):
    # The massage form has a version 2: a number the needle form does not have.
    area = massage_form.questions.get(key="area")
    area.text = "Where does it hurt the most?"
    area.save()
    form_publish(form=massage_form)
    url = details_url(world, world.dry_needling)

    response = client.post(url, {**CONTACT, **ANSWERED, "intake_versions": forged}, follow=True)

    content = response.content.decode()
    assert CHECKLIST_MISSING in content
    assert 'name="intake_versions" value="needle-safety:1"' in content  # not the forged one
    assert AppointmentRequest.objects.count() == 0
    # The service is not fooled either.
    with pytest.raises(BookingError, match="answer every question"):
        appointment_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=at(world.day, 10),
            patient=patient(
                answers={"area": "Neck", "gp": "x", "oil": False},
                versions=dict([forged.split(":")]),
            ),
            now=timezone.now(),
        )
    assert AppointmentRequest.objects.count() == 0


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {key: False for key in SAFETY_KEYS[:-1]},  # one missing
        {**ALL_NO, "pregnant": "no"},  # not a yes/no answer
        {**ALL_NO, "pregnant": None},
    ],
    ids=["none", "one-missing", "a-string", "a-null"],
)
def test_every_booking_service_refuses_needling_without_every_safety_answer(world, answers):
    now = at(world.day, 8) - timedelta(days=2)
    details = patient(answers=answers)
    world.dry_needling.course_sessions = 4
    world.dry_needling.save()

    attempts = [
        lambda: appointment_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=at(world.day, 10),
            patient=details,
            now=now,
        ),
        lambda: appointment_book(  # staff on the phone, no booking rules but this one
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=at(world.day, 10),
            patient=details,
            now=now,
            source="staff",
            enforce_policy=False,
        ),
        lambda: course_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts=[at(world.day + timedelta(weeks=n), 10) for n in range(4)],
            patient=details,
            now=now,
        ),
    ]
    for attempt in attempts:
        with pytest.raises(BookingError, match="answer every question of the form"):
            attempt()
    join(world, "Ann One", now=now, treatment=world.dry_needling, email="ann@example.com")
    [offer] = offer_time(world, now, 10, minutes=55)
    with pytest.raises(BookingError, match="answer every question of the form"):
        offer_claim(offer_id=offer.pk, answers=answers, now=now)
    assert AppointmentRequest.objects.count() == 0


def test_the_service_keeps_only_the_treatments_own_questions(world, massage_form):
    appointment = appointment_book(
        treatment=world.dry_needling,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(answers={**ALL_NO, "area": "Neck", "gp": "Elsewhere"}),
        now=at(world.day, 8) - timedelta(days=2),
    )

    assert {item["key"]: item["question"] for item in appointment.answers} == SAFETY_WORDING


# --- "Needs review when the answer is" a choice ---------------------------------------


@pytest.fixture
def reviewed(world, massage_form):
    IntakeQuestion.objects.filter(key="area").update(
        review_when="Lower back", review_label="Back pain: call first"
    )
    form_publish(form=massage_form)
    world.follow_up.confirmation = Confirmation.REVIEW
    world.follow_up.save()
    return world


def test_a_choice_that_needs_review_flags_it_and_makes_the_booking_a_request(client, reviewed):
    world = reviewed
    url = details_url(world, world.follow_up)

    review = send_details(client, url, ANSWERED)
    assert "Request this appointment" in review.content.decode()
    response = client.post(
        reverse("booking:confirm"), hidden_fields(review.content.decode(), "/book/confirm/")
    )

    assert response.status_code == 302
    appointment = AppointmentRequest.objects.get()
    assert appointment.status == S.REQUESTED
    assert appointment.safety_flags == ["Back pain: call first"]
    assert appointment.answers[0]["flag"] == "Back pain: call first"


def test_a_choice_that_needs_no_review_books_at_once(client, reviewed):
    world = reviewed
    url = details_url(world, world.follow_up)

    review = send_details(client, url, {**ANSWERED, "q-area": "Neck"})
    assert "Book this appointment" in review.content.decode()
    response = client.post(
        reverse("booking:confirm"), hidden_fields(review.content.decode(), "/book/confirm/")
    )

    assert response.status_code == 302
    appointment = AppointmentRequest.objects.get()
    assert appointment.status == S.CONFIRMED
    assert appointment.safety_flags == []


def test_one_of_several_choices_that_needs_review_flags_it(world):
    form = make_form(PAIN_FORM)
    IntakeQuestion.objects.filter(key="worse").update(review_when="Lifting")
    form_publish(form=form)
    attach(world.follow_up, form)
    world.follow_up.confirmation = Confirmation.REVIEW
    world.follow_up.save()
    given = {"since": "2026-10-01", "score": "3", "story": "Gardening"}

    lifting = world.follow_up.needs_confirmation({**given, "worse": ["Sitting", "Lifting"]})
    sitting = world.follow_up.needs_confirmation({**given, "worse": ["Sitting"]})

    assert (lifting, sitting) == (True, False)
    answers = answers_kept(booking_forms(world.follow_up), {**given, "worse": ["Lifting"]})
    assert answers[-1]["flag"] == "What makes it worse?"  # no label: the question itself


# --- The admin builder ----------------------------------------------------------------


def question_form(**fields) -> IntakeQuestionForm:
    data = {
        "position": "0",
        "text": "Which area hurts most?",
        "kind": "one_choice",
        "required": "on",
        "help_text": "",
        "choices": "Neck\nBack",
        "statement": "",
        "review_when": "",
        "review_label": "",
        "key": "area",
    }
    data.update(fields)
    return IntakeQuestionForm(data=data)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"choices": ""}, "choices", "Give at least two choices, one per line."),
        ({"choices": "Neck"}, "choices", "Give at least two choices, one per line."),
        ({"choices": "Neck\n\nNeck\n "}, "choices", "Give at least two choices, one per line."),
        (
            {"kind": "several_choices", "choices": "Neck"},
            "choices",
            "Give at least two choices, one per line.",
        ),
        (
            {"kind": "yes_no", "choices": ""},
            None,
            None,
        ),
        (
            {"kind": "yes_no", "choices": "", "review_when": "maybe"},
            "review_when",
            "For a yes/no question, write yes or no.",
        ),
        (
            {"review_when": "Knee"},
            "review_when",
            "Write one of the choices exactly as listed.",
        ),
        (
            {"kind": "short_text", "choices": "Neck\nBack"},
            "choices",
            "Only questions with choices have choices: clear this.",
        ),
    ],
)
def test_the_builder_refuses_a_question_that_could_not_be_answered(clinic, fields, field, message):
    form = question_form(**fields)

    if field is None:
        assert form.is_valid(), form.errors
    else:
        assert not form.is_valid()
        assert form.errors[field] == [message]
        assert set(form.errors) == {field}


@pytest.mark.parametrize(
    "fields",
    [
        {"review_when": "Back"},
        {"kind": "yes_no", "choices": "", "review_when": "Yes"},
        {"kind": "yes_no", "choices": "", "review_when": "no"},
        {"kind": "several_choices", "choices": "Neck\nBack\nHip", "review_when": "Hip"},
    ],
)
def test_the_builder_accepts_a_review_answer_the_question_can_get(clinic, fields):
    form = question_form(**fields)

    assert form.is_valid(), form.errors


@pytest.fixture
def as_boss(client, clinic):
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "x" * 20))
    return client


def builder_data(form: IntakeForm | None, questions: list[dict], **fields) -> dict:
    """The builder page as a browser sends it: the form, its questions, no treatments."""
    existing = list(form.questions.order_by("position", "pk")) if form else []
    data = {
        "title": "Before your massage",
        "slug": "before-massage",
        "intro": "",
        "is_active": "on",
        "checklist_label": "Do any of these apply to you?",
        "questions-TOTAL_FORMS": str(len(questions)),
        "questions-INITIAL_FORMS": str(len(existing)),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "treatment_links-TOTAL_FORMS": "0",
        "treatment_links-INITIAL_FORMS": "0",
        "treatment_links-MIN_NUM_FORMS": "0",
        "treatment_links-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, question in enumerate(questions):
        values = {
            "position": str(index),
            "required": "on",
            "help_text": "",
            "choices": "",
            "statement": "",
            "review_when": "",
            "review_label": "",
            **question,
        }
        if index < len(existing):
            values.update(id=str(existing[index].pk), form=str(form.pk))
        data.update({f"questions-{index}-{name}": value for name, value in values.items()})
    return data


BUILT = [
    {"key": "area", "kind": "one_choice", "text": AREA, "choices": "Neck\nLower back"},
    {"key": "oil", "kind": "yes_no", "text": OIL, "review_when": "yes"},
]


def admin_field_error(content: str, field_id: str) -> str:
    """The message in the field's own row of the admin page, tied to its input."""
    tag = re.search(rf'<[^>]*\sid="{field_id}"[^>]*>', content)
    row = content[content.rindex('class="form-row', 0, tag.start()) : tag.end()]
    error = re.search(rf'<ul class="errorlist" id="{field_id}_error"><li>(.*?)</li>', row)
    if error is None:
        return ""
    assert f"{field_id}_error" in tag.group(0)  # aria-describedby: read with the field
    return error.group(1)


def test_the_builder_page_says_what_is_wrong_next_to_the_field(as_boss):
    broken = [
        {**BUILT[0], "choices": "Neck", "review_when": ""},
        {**BUILT[1], "review_when": "perhaps"},
    ]

    response = as_boss.post(reverse("admin:booking_intakeform_add"), builder_data(None, broken))

    assert response.status_code == 200
    assert not IntakeForm.objects.exists()
    content = response.content.decode()
    assert admin_field_error(content, "id_questions-0-choices") == (
        "Give at least two choices, one per line."
    )
    assert admin_field_error(content, "id_questions-1-review_when") == (
        "For a yes/no question, write yes or no."
    )
    assert admin_field_error(content, "id_questions-0-review_when") == ""
    assert 'name="questions-1-review_when" value="perhaps"' in content  # kept as typed
    [formset] = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "questions"
    ]
    assert formset.forms[0].errors == {"choices": ["Give at least two choices, one per line."]}
    assert formset.forms[1].errors == {"review_when": ["For a yes/no question, write yes or no."]}


def test_saving_in_the_builder_publishes_a_version_only_when_the_wording_changed(as_boss):
    add = as_boss.post(reverse("admin:booking_intakeform_add"), builder_data(None, BUILT))
    assert add.status_code == 302
    form = IntakeForm.objects.get(slug="before-massage")
    change = reverse("admin:booking_intakeform_change", args=[form.pk])
    assert list(form.versions.values_list("number", flat=True)) == [1]
    assert [q["text"] for q in form.versions.get().definition["questions"]] == [AREA, OIL]

    same = as_boss.post(change, builder_data(form, BUILT), follow=True)
    inactive = as_boss.post(change, {**builder_data(form, BUILT), "is_active": ""}, follow=True)

    assert same.status_code == inactive.status_code == 200
    assert list(form.versions.values_list("number", flat=True)) == [1]
    assert "Published as version" not in same.content.decode()

    reworded = [{**BUILT[0], "text": "Where does it hurt the most?"}, BUILT[1]]
    response = as_boss.post(
        change, {**builder_data(form, reworded), "is_active": "on"}, follow=True
    )

    assert "Published as version 2." in response.content.decode()
    versions = {v.number: v.definition for v in form.versions.all()}
    assert sorted(versions) == [1, 2]
    assert versions[1]["questions"][0]["text"] == AREA
    assert versions[2]["questions"][0]["text"] == "Where does it hurt the most?"


# --- Practitioners see answers only on their own appointments ---------------------------


@pytest.fixture
def staff(clinic):
    staff = build_staff_world(timezone.localdate() + timedelta(days=3))
    form = make_form(MASSAGE_FORM)
    attach(staff.physio, form)
    asked = booking_forms(staff.physio)
    staff.maya_visit = staff.appointment(
        staff.maya,
        9,
        patient_name="Alice Own",
        answers=answers_kept(asked, {"area": "Neck", "gp": "Maya's GP", "oil": False}),
    )
    staff.tom_visit = staff.appointment(
        staff.tom,
        9,
        patient_name="Bob Other",
        answers=answers_kept(asked, {"area": "Shoulder", "gp": "Tom's GP", "oil": True}),
    )
    return staff


def test_a_practitioner_sees_the_answers_of_their_own_appointments_only(client, staff):
    client.force_login(staff.maya_user)
    own = client.get(reverse("admin:booking_appointmentrequest_change", args=[staff.maya_visit.pk]))
    other = client.get(
        reverse("admin:booking_appointmentrequest_change", args=[staff.tom_visit.pk])
    )
    listed = client.get(reverse("admin:booking_appointmentrequest_changelist"))

    assert own.status_code == 200
    assert AREA in own.text and "Maya&#x27;s GP" in own.text and "Neck" in own.text
    assert other.status_code == 404
    assert "Tom&#x27;s GP" not in other.text and "Shoulder" not in other.text
    assert "Bob Other" not in listed.text

    client.force_login(staff.desk)
    desk = client.get(reverse("admin:booking_appointmentrequest_change", args=[staff.tom_visit.pk]))
    assert "Tom&#x27;s GP" in desk.text and "Shoulder" in desk.text


# --- The migration that moved the questions out of the code ------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_the_safety_questions_a_form_and_keeps_each_answer_worded(clinic):
    executor = MigrationExecutor(connection)
    executor.migrate([("booking", "0015_courses")])
    old = executor.loader.project_state(("booking", "0015_courses")).apps
    treatment = old.get_model("booking", "Treatment")
    needling = treatment.objects.create(
        name="Dry needling",
        slug="old-needling",
        duration_minutes=45,
        price=60,
        is_needle_based=True,
    )
    treatment.objects.create(name="Physio", slug="old-physio", duration_minutes=30, price=40)
    practitioner = old.get_model("booking", "Practitioner").objects.create(
        name="Old Practitioner", slug="old-practitioner"
    )
    starts = timezone.now() + timedelta(days=3)
    old.get_model("booking", "AppointmentRequest").objects.create(
        reference="OLD1-AAAA",
        manage_token_hash="o" * 64,
        treatment=needling,
        practitioner=practitioner,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=45),
        occupied_until=starts + timedelta(minutes=45),
        status="confirmed",
        patient_name="Old Patient",
        email="old@example.com",
        screening={**ALL_NO, "bleeding": True},
        privacy_notice_version="x",
    )

    management.call_command("migrate", verbosity=0)

    form = IntakeForm.objects.get(slug="needle-safety")
    [version] = form.versions.all()
    assert version.number == 1
    assert [q["text"] for q in version.definition["questions"]] == list(SAFETY_WORDING.values())
    # The version is the form's wording as the builder reads it: its first save in
    # admin publishes nothing new.
    assert form_publish(form=form).pk == version.pk
    asks = TreatmentIntakeForm.objects.filter(form=form).values_list("treatment__slug", flat=True)
    assert list(asks) == ["old-needling"]
    appointment = AppointmentRequest.objects.get(reference="OLD1-AAAA")
    assert kept_values(appointment.answers) == {**ALL_NO, "bleeding": True}
    assert {item["key"]: item["question"] for item in appointment.answers} == SAFETY_WORDING
    assert {item["version"] for item in appointment.answers} == {1}
    assert appointment.safety_flags == ["Bleeding disorder or blood thinners"]
    # The treatment asks the form from now on: no booking without its answers.
    with pytest.raises(BookingError, match="answer every question of the form"):
        appointment_book(
            treatment=appointment.treatment,
            practitioner=appointment.practitioner,
            starts_at=starts + timedelta(hours=2),
            patient=patient(answers={}),
            now=timezone.now(),
            source="staff",
            enforce_policy=False,
        )
