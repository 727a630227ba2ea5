"""The safety questions asked before any needle-based treatment.

The booking form asks them, staff's phone-in form records them, and the
booking service refuses a needle-based appointment without an answer to
each, so the questions live here, apart from all three.
"""

from django.utils.translation import gettext_lazy as _

SCREENING_QUESTIONS = [
    ("pregnant", "Are you pregnant, or could you be?"),
    ("bleeding", "Do you have a bleeding disorder, or do you take blood-thinning medicine?"),
    ("needle_fear", "Are you afraid of needles, or have you ever fainted with them?"),
    ("implant", "Do you have a pacemaker or another implanted device?"),
    (
        "recent_surgery",
        "Have you had surgery or an infection at the area to be treated in the last six weeks?",
    ),
]

# The answers as staff record them on a phone-in booking, one per question.
YES_NO = [("no", "No"), ("yes", "Yes")]

SCREENING_KEYS = frozenset(key for key, _question in SCREENING_QUESTIONS)

# The same questions as statements a patient ticks when they apply (the booking form
# lists them as one group, beside "None of these apply to me").
SCREENING_STATEMENTS = {
    "pregnant": "I am pregnant, or could be",
    "bleeding": "I have a bleeding disorder, or take blood-thinning medicine",
    "needle_fear": "I am afraid of needles, or have fainted with them",
    "implant": "I have a pacemaker or another implanted device",
    "recent_surgery": (
        "I have had surgery or an infection at the area to be treated in the last six weeks"
    ),
}


def screening_complete(answers) -> bool:
    """True when every question has a yes or no (True/False) answer."""
    return isinstance(answers, dict) and all(
        isinstance(answers.get(key), bool) for key in SCREENING_KEYS
    )


SCREENING_FLAG_LABELS = {
    "pregnant": _("Pregnant"),
    "bleeding": _("Bleeding disorder or blood thinners"),
    "blood_thinners": _("Blood thinners"),
    "needle_fear": _("Needle fear or fainting"),
    "implant": _("Implanted device"),
    "recent_surgery": _("Recent surgery or infection"),
}


def screening_flags(answers) -> list[str]:
    """The safety answers that need a call before a needle treatment: every "yes"."""
    if not isinstance(answers, dict):
        return []
    flags = []
    for key, value in answers.items():
        if value is True or (isinstance(value, str) and value.strip().lower().startswith("yes")):
            flags.append(
                str(SCREENING_FLAG_LABELS.get(key, str(key).replace("_", " ").capitalize()))
            )
    return flags
