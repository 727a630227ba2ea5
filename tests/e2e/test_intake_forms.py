"""Intake forms the clinic writes, in Chromium: staff build one in admin, patients answer it.

A member of staff writes a form of three questions in the admin form builder and
attaches it to dry needling; a patient then books dry needling through /book/ and
answers them, and the appointment keeps each answer with the words asked. The
details step with the long form (the needle list and the three questions) keeps
every message beside its field, loses nothing typed, works without JavaScript and
passes axe; so does the builder, in its error state too.
"""

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from booking import demo
from booking.availability import clinic_zone
from booking.intake.demo import form_attach
from booking.intake.questions import kept_values
from booking.intake.versions import form_publish
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    IntakeForm,
    IntakeQuestion,
    Treatment,
)
from tests.e2e.test_booking_flow import NoScriptAxe
from tests.e2e.times import choose_in_strip, day_to_change, pick_time_on, time_link_on

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long manager password 28"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
SHOTS = Path("/tmp/intake-shots")  # noqa: S108 (looked at by people, not kept)

TITLE = "Before your dry needling"
MEDICINES = "Which medicines do you take?"
PHYSIO = "Have you had physiotherapy before?"
PHYSIO_CHOICES = ["No, never", "Yes, in the last year", "Yes, longer ago"]
INSURED = "Are you insured?"
NEEDLES = "Safety questions for needle treatments"
NONE_APPLY = "None of these apply to me"
PICKER = "/book/time/?treatment=dry-needling&practitioner=maya-okafor"


@pytest.fixture
def bookable(clinic, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    settings.BOOKING_RATE_LIMITS = {"ip": (0, 3600), "email": (0, 3600)}
    settings.BOOKING_TIMES_CACHE_SECONDS = 0
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    demo.load(stdout=io.StringIO())


@pytest.fixture
def manager(bookable):
    return get_user_model().objects.create_superuser("manager", "manager@example.com", PASSWORD)


@pytest.fixture
def long_form(bookable):
    """The three questions as staff would write them, asked with dry needling's safety list."""
    form = IntakeForm.objects.create(title=TITLE, slug="before-your-dry-needling")
    for position, (key, kind, text, choices) in enumerate(
        [
            ("medicines", "long_text", MEDICINES, ""),
            ("physio-before", "one_choice", PHYSIO, "\n".join(PHYSIO_CHOICES)),
            ("insured", "yes_no", INSURED, ""),
        ]
    ):
        IntakeQuestion.objects.create(
            form=form, position=position, key=key, kind=kind, text=text, choices=choices
        )
    form_publish(form=form)
    form_attach(Treatment.objects.get(slug="dry-needling"), form)
    return form


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, live_server, next_path: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next={next_path}")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def group(page, name: str):
    return page.get_by_role("group", name=re.compile(rf"^{re.escape(name)}"))


def to_details(page, live_server) -> None:
    """The details step of dry needling with Maya, on a day past the late-change window."""
    pick_time_on(page, live_server.url + PICKER, day_to_change("maya-okafor"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")


def fill_contact(page, name="Sam Patel") -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail address").fill("sam.patel@example.com")
    page.get_by_label("Phone number").fill("07700 900123")
    group(page, "Have you been to the clinic before?").get_by_label(
        "Yes, I have been before"
    ).check()


def answer_three(page) -> None:
    form = group(page, TITLE)
    form.get_by_label(MEDICINES).fill("Ibuprofen when needed\nVitamin D")
    group(form, PHYSIO).get_by_label("Yes, longer ago").check()
    group(form, INSURED).get_by_label("No").check()


# --- staff write a form, a patient answers it ------------------------------------------------


def question(page, number: int):
    """The builder's question `number` (from 1), as its inline shows it."""
    return page.locator(f"#questions-{number - 1}")


def write_question(block, text: str, kind: str, choices: list[str] | None = None) -> None:
    block.get_by_role("textbox", name=re.compile(r"^Question")).press_sequentially(text)
    block.get_by_role("combobox", name=re.compile(r"^Kind")).select_option(label=kind)
    if choices is not None:
        section = block.locator("details")
        if section.count() and not section.first.evaluate("d => d.open"):
            section.first.locator("summary").click()
        block.get_by_role("textbox", name=re.compile(r"^Choices")).fill("\n".join(choices))


def test_staff_write_a_form_in_admin_and_a_patient_answers_it_while_booking(
    live_server, browser, manager, axe
):
    staff = browser.new_context(viewport=LAPTOP).new_page()
    log_in(staff, live_server, "/admin/booking/intakeform/add/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Add intake form")
    axe(staff)

    # Typed, as a person types: the slug and each key are made from the words as they come.
    staff.get_by_role("textbox", name=re.compile(r"^Title")).press_sequentially(TITLE)
    for _question in range(3):
        staff.get_by_role("button", name="Add another Question").click()
    write_question(question(staff, 1), MEDICINES, "Long text")
    # The one-choice question first without its choices: the builder says what is missing.
    write_question(question(staff, 2), PHYSIO, "One choice")
    write_question(question(staff, 3), INSURED, "Yes or no")
    staff.get_by_role("button", name="Add another Treatment that asks this form").click()
    link = staff.locator("#treatment_links-0")
    link.get_by_role("combobox", name="Treatment").select_option(label="Dry needling")
    link.get_by_role("combobox", name="Answered").select_option(label="While booking")
    staff.get_by_role("button", name="Save", exact=True).click()

    expect(staff.get_by_text("Please correct the error below.")).to_be_visible()
    choices = question(staff, 2).get_by_role("textbox", name=re.compile(r"^Choices"))
    expect(choices).to_be_visible()  # never folded away under its section's heading
    expect(
        question(staff, 2).get_by_text("Give at least two choices, one per line.")
    ).to_be_visible()
    # Nothing written is lost, and each key was made from its question's words.
    expect(question(staff, 1).get_by_role("textbox", name=re.compile(r"^Question"))).to_have_value(
        MEDICINES
    )
    question(staff, 3).get_by_text("Choices, list wording and review").click()
    expect(question(staff, 3).get_by_role("textbox", name=re.compile(r"^Key"))).to_have_value(
        "are-you-insured"
    )
    axe(staff)
    shot(staff, "builder-errors-1280")

    choices.fill("\n".join(PHYSIO_CHOICES))
    staff.get_by_role("button", name="Save and continue editing").click()
    expect(staff.get_by_text("was added successfully")).to_be_visible()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Change intake form")
    axe(staff)
    shot(staff, "builder-1280")
    staff.context.close()

    # A patient, in a browser of their own, books dry needling through /book/.
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/book/")
    page.get_by_label(re.compile(r"Dry needling ·")).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label(re.compile(r"Dr Maya Okafor")).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a day and time")
    day = day_to_change("maya-okafor")
    choose_in_strip(page, day)
    chosen = time_link_on(page, day)
    when = re.search(r"\d\d:\d\d", chosen.inner_text()).group(0)
    chosen.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    expect(group(page, NEEDLES)).to_be_visible()
    fill_contact(page)
    group(page, NEEDLES).get_by_label(NONE_APPLY).check()
    answer_three(page)
    page.get_by_label("I agree that the clinic keeps these details").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check and book")
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")

    appointment = AppointmentRequest.objects.get()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert f"{appointment.starts_at.astimezone(clinic_zone()):%H:%M}" == when
    written = IntakeForm.objects.get(title=TITLE)
    kept = [item for item in appointment.answers if item["form"] == written.slug]
    assert [(item["question"], item["answer"]) for item in kept] == [
        (MEDICINES, "Ibuprofen when needed\nVitamin D"),
        (PHYSIO, "Yes, longer ago"),
        (INSURED, "No"),
    ]
    assert {item["form_title"] for item in kept} == {TITLE}
    assert {item["version"] for item in kept} == {1}
    assert [item["key"] for item in kept] == [
        "which-medicines-do-you-take",
        "have-you-had-physiotherapy-before",
        "are-you-insured",
    ]
    values = kept_values(appointment.answers)
    assert values["are-you-insured"] is False
    assert values["have-you-had-physiotherapy-before"] == "Yes, longer ago"
    assert [item["flag"] for item in appointment.answers] == [""] * len(appointment.answers)


# --- the details step with a long form ------------------------------------------------------

CHECKLIST_MISSING = "Tick each one that applies to you, or “None of these apply to me”."
MISSING = {
    MEDICINES: "Answer this question.",
    PHYSIO: "Choose one answer.",
    INSURED: "Answer yes or no.",
}
PREGNANT = "I am pregnant, or could be"


def summary(page):
    return page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name="Please check the form")
    )


def expect_missing_beside_each_field(page) -> None:
    """Each message in the summary, as a link, and beside its own question."""
    expect(summary(page)).to_be_visible()
    form = group(page, TITLE)
    for question_text, message in MISSING.items():
        expect(summary(page).get_by_role("link", name=f"{question_text} {message}")).to_be_visible()
    expect(group(page, NEEDLES).get_by_text(CHECKLIST_MISSING)).to_be_visible()
    expect(form.get_by_role("textbox", name=MEDICINES)).to_have_accessible_description(
        re.compile(re.escape(MISSING[MEDICINES]))
    )
    expect(group(form, PHYSIO).get_by_text(MISSING[PHYSIO])).to_be_visible()
    expect(group(form, INSURED).get_by_text(MISSING[INSURED])).to_be_visible()


def test_the_long_form_sent_empty_says_what_is_missing_beside_each_field_and_keeps_what_was_typed(
    live_server, browser, long_form, axe
):
    page = browser.new_context(viewport=PHONE).new_page()
    to_details(page, live_server)
    expect(group(page, TITLE)).to_be_visible()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    expect_missing_beside_each_field(page)
    axe(page)
    shot(page, "details-long-form-errors-390")

    # Some answers given, one forgotten: every answer given comes back as typed.
    fill_contact(page)
    # The list's script: a statement ticked unticks "None of these apply", and the reverse.
    group(page, NEEDLES).get_by_label(PREGNANT).check()
    group(page, NEEDLES).get_by_label(NONE_APPLY).check()
    expect(group(page, NEEDLES).get_by_label(PREGNANT)).not_to_be_checked()
    group(page, NEEDLES).get_by_label(PREGNANT).check()
    expect(group(page, NEEDLES).get_by_label(NONE_APPLY)).not_to_be_checked()
    form = group(page, TITLE)
    form.get_by_label(MEDICINES).fill("Ibuprofen when needed\nVitamin D")
    group(form, INSURED).get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()

    expect(summary(page)).to_be_visible()
    expect(summary(page).get_by_role("link")).to_have_count(2)  # the choice and the consent
    expect(summary(page).get_by_role("link", name=f"{PHYSIO} {MISSING[PHYSIO]}")).to_be_visible()
    form = group(page, TITLE)
    expect(page.get_by_label("Full name")).to_have_value("Sam Patel")
    expect(group(page, NEEDLES).get_by_label(PREGNANT)).to_be_checked()
    expect(group(page, NEEDLES).get_by_label(NONE_APPLY)).not_to_be_checked()
    expect(form.get_by_label(MEDICINES)).to_have_value("Ibuprofen when needed\nVitamin D")
    expect(group(form, INSURED).get_by_label("Yes")).to_be_checked()
    for choice in PHYSIO_CHOICES:
        expect(group(form, PHYSIO).get_by_label(choice)).not_to_be_checked()
    axe(page)

    group(form, PHYSIO).get_by_label("No, never").check()
    page.get_by_label("I agree that the clinic keeps these details").check()
    axe(page)  # the filled page
    shot(page, "details-long-form-filled-390")
    page.get_by_role("button", name="Continue").click()

    # A yes in the needle list makes dry needling a request, as before the form was written.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and request")
    page.get_by_role("button", name="Request this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your request is in")
    values = kept_values(AppointmentRequest.objects.get().answers)
    assert values["pregnant"] is True and values["implant"] is False
    assert (values["medicines"], values["physio-before"], values["insured"]) == (
        "Ibuprofen when needed\nVitamin D",
        "No, never",
        True,
    )


def test_the_long_form_works_without_javascript(live_server, browser, long_form, axe):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    check = NoScriptAxe(browser, axe, live_server.url)
    to_details(page, live_server)
    page.get_by_role("button", name="Continue").click()

    expect_missing_beside_each_field(page)
    check(page)

    # Without the script nothing unticks "None of these apply" for the patient: the server
    # asks them to choose, and keeps everything else.
    fill_contact(page)
    group(page, NEEDLES).get_by_label(PREGNANT).check()
    group(page, NEEDLES).get_by_label(NONE_APPLY).check()
    answer_three(page)
    page.get_by_label("I agree that the clinic keeps these details").check()
    page.get_by_role("button", name="Continue").click()

    expect(summary(page)).to_contain_text("You ticked “None of these apply to me” and one")
    expect(group(page, TITLE).get_by_label(MEDICINES)).to_have_value(
        "Ibuprofen when needed\nVitamin D"
    )
    expect(group(group(page, TITLE), PHYSIO).get_by_label("Yes, longer ago")).to_be_checked()
    check(page)
    group(page, NEEDLES).get_by_label(PREGNANT).uncheck()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check and book")
    check(page)
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    kept = {item["question"]: item["answer"] for item in AppointmentRequest.objects.get().answers}
    assert kept[MEDICINES] == "Ibuprofen when needed\nVitamin D"
    assert kept[PHYSIO] == "Yes, longer ago"
    assert kept[INSURED] == "No"
    check.close()
    context.close()


def test_the_treatments_own_list_of_intake_forms_passes_axe(
    live_server, page, manager, long_form, axe
):
    treatment = Treatment.objects.get(slug="dry-needling")
    log_in(page, live_server, f"/admin/booking/treatment/{treatment.pk}/change/")
    expect(page.get_by_role("heading", level=2, name="Intake forms asked")).to_be_visible()
    axe(page)
