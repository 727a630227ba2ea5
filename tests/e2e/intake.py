"""Intake answers for browser tests' worlds: the demo's needle safety form, answered.

An appointment keeps its answers with the words asked (AppointmentRequest.answers);
a world that stores one straight with the ORM keeps them the same way, so that
staff pages read them as they read a patient's.
"""

from booking.intake.demo import needle_safety_form
from booking.intake.questions import Asked, answers_kept
from booking.intake.versions import form_publish
from tests.booking.intake_world import safety_answers


def needle_answers_kept(*yes: str) -> list[dict]:
    """Every needle safety question answered as kept: yes for the keys named, no for the rest."""
    version = form_publish(form=needle_safety_form())
    asked = Asked(slug=version.form.slug, number=version.number, definition=version.definition)
    return answers_kept([asked], safety_answers(*yes))
