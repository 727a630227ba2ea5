"""A treatment's questions, and the answers to them: complete, flagged, kept as asked.

Answers travel (in the booking form, the signed details, the services) as
one map of question key to value: True/False for yes or no, a string for
text, a choice, a date (ISO) or a number, a list of strings for several
choices. Which version of each form was shown travels beside them
(`versions`: form slug to number), so the answers are checked and kept
against the very words the patient read.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from django.utils import timezone

from booking.intake.versions import form_publish
from booking.models.intake import (
    IntakeFormVersion,
    IntakeInvitation,
    IntakeWhen,
    QuestionKind,
    TreatmentIntakeForm,
)

# How long after an edit the answers to the version shown before it are still taken:
# as long as a details page's answers may be sent (booking.forms.DETAILS_MAX_AGE).
SHOWN_VERSION_GRACE = timedelta(hours=2)


@dataclass(frozen=True)
class Asked:
    """One version of one form, as it is asked."""

    slug: str
    number: int
    definition: dict

    @property
    def title(self) -> str:
        return self.definition["title"]

    @property
    def questions(self) -> list[dict]:
        return self.definition["questions"]

    @property
    def checklist(self) -> bool:
        return bool(self.definition.get("checklist"))


def _asked_forms(treatment, when: str, versions: dict | None = None) -> list[Asked]:
    links = (
        TreatmentIntakeForm.objects.filter(treatment=treatment, when=when, form__is_active=True)
        .select_related("form")
        .order_by("position", "pk")
    )
    forms = [link.form for link in links]
    wanted = versions or {}
    newest_first: dict[int, list[IntakeFormVersion]] = {}
    for version in IntakeFormVersion.objects.filter(form__in=forms).order_by("form", "-number"):
        newest_first.setdefault(version.form_id, []).append(version)
    recent = timezone.now() - SHOWN_VERSION_GRACE
    asked = []
    for form in forms:
        published = newest_first.get(form.pk) or [form_publish(form=form)]
        version = published[0]
        number = wanted.get(form.slug)
        for newer, older in pairwise(published):
            # An older version still counts for a page shown before the edit, for as
            # long as that page's answers may be sent: never to skip a newer question.
            if _is_int(number) and older.number == int(number) and newer.created_at >= recent:
                version = older
                break
        asked.append(Asked(slug=form.slug, number=version.number, definition=version.definition))
    return asked


def _is_int(value) -> bool:
    if isinstance(value, str):
        return value.isascii() and value.isdigit()  # "²" is a digit to isdigit(), not to int()
    return isinstance(value, int)


def booking_forms(treatment, versions: dict | None = None) -> list[Asked]:
    """The forms a patient answers while booking this treatment, in order.

    `versions` names the version of each form that was shown; a form it does
    not name (or names wrongly) is asked as its latest version. Kept on the
    treatment object, since one request asks this several times.
    """
    memo = treatment.__dict__.setdefault("_intake_booking", {})
    key = tuple(sorted((versions or {}).items()))
    if key not in memo:
        memo[key] = _asked_forms(treatment, IntakeWhen.BOOKING, versions)
    return memo[key]


def before_visit_forms(treatment) -> list[Asked]:
    return _asked_forms(treatment, IntakeWhen.BEFORE_VISIT)


def asks_questions(treatment) -> bool:
    return bool(booking_forms(treatment))


def versions_of(asked: list[Asked]) -> dict[str, int]:
    return {form.slug: form.number for form in asked}


# --- One answer ------------------------------------------------------------------


def answer_valid(question: dict, value) -> bool:
    """Whether the value answers the question (an empty answer does not)."""
    kind = question["kind"]
    if kind == QuestionKind.YES_NO:
        return isinstance(value, bool)
    if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        return isinstance(value, str) and bool(value.strip())
    if kind == QuestionKind.ONE_CHOICE:
        return isinstance(value, str) and value in question["choices"]
    if kind == QuestionKind.SEVERAL_CHOICES:
        return (
            isinstance(value, list)
            and bool(value)
            and all(isinstance(v, str) and v in question["choices"] for v in value)
        )
    if kind == QuestionKind.DATE:
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    if kind == QuestionKind.NUMBER:
        try:
            return Decimal(str(value)).is_finite() and not isinstance(value, bool)
        except (InvalidOperation, ValueError):
            return False
    return False


def answer_text(question: dict, value) -> str:
    """The answer in words, as staff read it."""
    if value is None or value == "" or value == []:
        return "Not answered"
    if question["kind"] == QuestionKind.YES_NO:
        return "Yes" if value is True else "No"
    if question["kind"] == QuestionKind.SEVERAL_CHOICES and isinstance(value, list):
        return ", ".join(value)
    return str(value)


def needs_review(question: dict, value) -> bool:
    """Whether this answer is one the form says staff should look at."""
    when = (question.get("review_when") or "").strip().casefold()
    if not when or value is None:
        return False
    if question["kind"] == QuestionKind.YES_NO:
        return isinstance(value, bool) and when == ("yes" if value else "no")
    if isinstance(value, list):
        return any(str(v).casefold() == when for v in value)
    return str(value).strip().casefold() == when


def flag_label(question: dict) -> str:
    return question.get("review_label") or question["text"]


# --- A booking's answers -----------------------------------------------------------


def unanswered(asked: list[Asked], answers: dict) -> list[dict]:
    """The required questions without a valid answer (and any answer that is invalid)."""
    answers = answers if isinstance(answers, dict) else {}
    missing = []
    for form in asked:
        for question in form.questions:
            value = answers.get(question["key"])
            given = value not in (None, "", [])
            if (question["required"] or given) and not answer_valid(question, value):
                missing.append(question)
    return missing


def review_flags(asked: list[Asked], answers: dict) -> list[str]:
    """The flags of the answers that need review, in the forms' order."""
    answers = answers if isinstance(answers, dict) else {}
    return [
        flag_label(question)
        for form in asked
        for question in form.questions
        if needs_review(question, answers.get(question["key"]))
    ]


def answers_kept(asked: list[Asked], answers: dict) -> list[dict]:
    """The answers as an appointment keeps them: each with the words it answered."""
    answers = answers if isinstance(answers, dict) else {}
    kept = []
    for form in asked:
        for question in form.questions:
            value = answers.get(question["key"])
            if value in (None, "", []) and not question["required"]:
                value = None
            review = needs_review(question, value)
            kept.append(
                {
                    "form": form.slug,
                    "form_title": form.title,
                    "version": form.number,
                    "key": question["key"],
                    "kind": question["kind"],
                    "question": question["text"],
                    "value": value,
                    "answer": answer_text(question, value),
                    "flag": flag_label(question) if review else "",
                }
            )
    return kept


def kept_flags(kept) -> list[str]:
    """The flags of an appointment's kept answers."""
    if not isinstance(kept, list):
        return []
    return [item["flag"] for item in kept if isinstance(item, dict) and item.get("flag")]


def kept_values(kept) -> dict:
    """An appointment's kept answers back as key to value (to prefill or copy them)."""
    if not isinstance(kept, list):
        return {}
    return {
        item["key"]: item.get("value") for item in kept if isinstance(item, dict) and "key" in item
    }


def kept_versions(kept) -> dict[str, int]:
    if not isinstance(kept, list):
        return {}
    return {
        item["form"]: item["version"]
        for item in kept
        if isinstance(item, dict) and "form" in item and "version" in item
    }


def kept_by_form(kept) -> list[dict]:
    """Kept answers grouped by form version, for staff pages: [{title, version, answers}]."""
    groups: list[dict] = []
    for item in kept if isinstance(kept, list) else []:
        if not isinstance(item, dict):
            continue
        if not groups or (groups[-1]["form"], groups[-1]["version"]) != (
            item.get("form"),
            item.get("version"),
        ):
            groups.append(
                {
                    "form": item.get("form"),
                    "title": item.get("form_title", ""),
                    "version": item.get("version"),
                    "answers": [],
                }
            )
        groups[-1]["answers"].append(item)
    return groups


# Treatment.confirmation's values (booking.models.catalogue.Confirmation): the model
# calls needs_confirmation, so importing it back from here would make a loop.
CONFIRM_ALWAYS, CONFIRM_REVIEW = "always", "review"


def needs_confirmation(treatment, answers: dict, versions: dict | None = None) -> bool:
    """Whether an online booking of the treatment with these answers waits for staff."""
    if treatment.confirmation == CONFIRM_REVIEW:
        return bool(review_flags(booking_forms(treatment, versions), answers))
    return treatment.confirmation == CONFIRM_ALWAYS


def missing_invitations(appointments) -> dict[int, list[str]]:
    """For each appointment id, the titles of its pre-visit forms not yet filled in."""
    missing: dict[int, list[str]] = {}
    for invitation in IntakeInvitation.objects.filter(
        appointment__in=appointments, answered_at__isnull=True
    ).select_related("form"):
        missing.setdefault(invitation.appointment_id, []).append(invitation.form.title)
    return missing
