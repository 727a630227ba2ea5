"""Intake answers for tests: the demo's needle safety form, answered or kept.

The form itself is demo content (booking.intake.demo); tests attach it to
their needle treatments as staff would in admin.
"""

from booking.intake.demo import NEEDLE_SAFETY, needle_safety_attach
from booking.intake.questions import answers_kept, booking_forms

SAFETY_KEYS = [question["key"] for question in NEEDLE_SAFETY["questions"]]
ALL_NO = dict.fromkeys(SAFETY_KEYS, False)


def safety_answers(*yes: str) -> dict:
    """Every safety question answered: yes for the keys named, no for the others."""
    return {key: key in yes for key in SAFETY_KEYS}


def kept_for(treatment, answers: dict) -> list[dict]:
    """The answers as an appointment keeps them (with the words asked)."""
    return answers_kept(booking_forms(treatment), answers)


def with_needle_safety(treatment):
    needle_safety_attach(treatment)
    treatment.__dict__.pop("_intake_booking", None)
    return treatment


__all__ = ["ALL_NO", "SAFETY_KEYS", "kept_for", "safety_answers", "with_needle_safety"]
