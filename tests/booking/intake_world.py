"""Intake answers for tests: the demo's needle safety form, answered or kept.

The form itself is demo content (booking.intake.demo); tests attach it to
their needle treatments as staff would in admin.
"""

from booking.intake.demo import NEEDLE_SAFETY, needle_safety_attach
from booking.intake.questions import answers_kept, booking_forms

SAFETY_KEYS = [question["key"] for question in NEEDLE_SAFETY["questions"]]
ALL_NO = dict.fromkeys(SAFETY_KEYS, False)
# Each safety question's words as the demo form (version 1) asks them.
SAFETY_WORDING = {question["key"]: question["text"] for question in NEEDLE_SAFETY["questions"]}


def safety_answers(*yes: str) -> dict:
    """Every safety question answered: yes for the keys named, no for the others."""
    return {key: key in yes for key in SAFETY_KEYS}


def kept_for(treatment, answers: dict) -> list[dict]:
    """The answers as an appointment keeps them (with the words asked)."""
    return answers_kept(booking_forms(treatment), answers)


def safety_kept(answers: dict) -> list[dict]:
    """Some safety answers (key to yes/no) as an appointment keeps them, for rows made
    straight with the ORM: each with the wording of the demo form's version 1 and, for
    a yes, the flag staff see. A key the form does not have keeps its own name."""
    questions = {question["key"]: question for question in NEEDLE_SAFETY["questions"]}
    kept = []
    for key, value in answers.items():
        question = questions.get(key, {"text": key.replace("_", " ").capitalize()})
        yes = value is True
        kept.append(
            {
                "form": NEEDLE_SAFETY["slug"],
                "form_title": NEEDLE_SAFETY["title"],
                "version": 1,
                "key": key,
                "kind": "yes_no",
                "question": question["text"],
                "value": value,
                "answer": "Yes" if yes else "No",
                "flag": (question.get("review_label") or question["text"]) if yes else "",
            }
        )
    return kept


def with_needle_safety(treatment):
    needle_safety_attach(treatment)
    treatment.__dict__.pop("_intake_booking", None)
    return treatment


__all__ = [
    "ALL_NO",
    "SAFETY_KEYS",
    "SAFETY_WORDING",
    "kept_for",
    "safety_answers",
    "safety_kept",
    "with_needle_safety",
]
