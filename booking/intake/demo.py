"""The demo clinic's intake forms: the needle safety questions and a pre-visit health form.

Demo content, like the articles: a clinic edits or replaces these in admin.
Loaded by `load_demo` (booking.demo) and by tests that need the forms.
"""

from booking.intake.versions import form_publish
from booking.models.intake import IntakeForm, IntakeQuestion, IntakeWhen, TreatmentIntakeForm

NEEDLE_SAFETY = {
    "slug": "needle-safety",
    "title": "Safety questions for needle treatments",
    "intro": (
        "Answering yes does not stop you booking: it helps your practitioner plan a safe session."
    ),
    "checklist": True,
    "checklist_label": "Do any of these apply to you?",
    "questions": [
        {
            "key": "pregnant",
            "text": "Are you pregnant, or could you be?",
            "statement": "I am pregnant, or could be",
            "review_label": "Pregnant",
        },
        {
            "key": "bleeding",
            "text": "Do you have a bleeding disorder, or do you take blood-thinning medicine?",
            "statement": "I have a bleeding disorder, or take blood-thinning medicine",
            "review_label": "Bleeding disorder or blood thinners",
        },
        {
            "key": "needle_fear",
            "text": "Are you afraid of needles, or have you ever fainted with them?",
            "statement": "I am afraid of needles, or have fainted with them",
            "review_label": "Needle fear or fainting",
        },
        {
            "key": "implant",
            "text": "Do you have a pacemaker or another implanted device?",
            "statement": "I have a pacemaker or another implanted device",
            "review_label": "Implanted device",
        },
        {
            "key": "recent_surgery",
            "text": (
                "Have you had surgery or an infection at the area to be treated in the last "
                "six weeks?"
            ),
            "statement": (
                "I have had surgery or an infection at the area to be treated in the last six weeks"
            ),
            "review_label": "Recent surgery or infection",
        },
    ],
}

HEALTH_BACKGROUND = {
    "slug": "health-background",
    "title": "Your health before the first visit",
    "intro": "A few questions your physiotherapist reads before meeting you.",
    "checklist": False,
    "checklist_label": "",
    "questions": [
        {
            "key": "medication",
            "kind": "long_text",
            "text": "Which medicines do you take at the moment?",
            "help_text": "Write “none” if you take none.",
        },
        {
            "key": "pain_score",
            "kind": "number",
            "text": "How bad is the pain today, from 0 (none) to 10 (the worst)?",
        },
        {
            "key": "gp_practice",
            "kind": "short_text",
            "text": "Your GP practice (optional)",
            "required": False,
        },
    ],
}


def form_load(data: dict) -> IntakeForm:
    """The form from `data`, made when missing; an existing one is left as staff keep it."""
    fields = {k: v for k, v in data.items() if k not in {"slug", "questions"}}
    form, created = IntakeForm.objects.get_or_create(slug=data["slug"], defaults=fields)
    if created:
        for position, question in enumerate(data["questions"]):
            IntakeQuestion.objects.create(
                form=form,
                position=position,
                kind=question.get("kind", "yes_no"),
                review_when=question.get("review_when", "yes" if "statement" in question else ""),
                required=question.get("required", True),
                **{k: v for k, v in question.items() if k in {"key", "text", "statement"}},
                help_text=question.get("help_text", ""),
                review_label=question.get("review_label", ""),
            )
    form_publish(form=form)
    return form


def needle_safety_form() -> IntakeForm:
    return form_load(NEEDLE_SAFETY)


def form_attach(treatment, form: IntakeForm, when: str = IntakeWhen.BOOKING) -> None:
    TreatmentIntakeForm.objects.get_or_create(
        treatment=treatment, form=form, defaults={"when": when}
    )


def needle_safety_attach(treatment) -> None:
    """Ask the needle safety questions while booking this treatment."""
    form_attach(treatment, needle_safety_form())
