"""Publishing a form's wording: every edit that changes it makes a new version."""

from django.db import transaction

from booking.models.intake import IntakeForm, IntakeFormVersion


def choices_of(text: str) -> list[str]:
    """A question's choices, one per line, blank lines and repeats left out."""
    seen: list[str] = []
    for line in (text or "").splitlines():
        choice = " ".join(line.split())
        if choice and choice not in seen:
            seen.append(choice)
    return seen


def definition_of(form: IntakeForm) -> dict:
    """The form's wording as it stands: what a version freezes."""
    return {
        "form": form.slug,
        "title": form.title,
        "intro": form.intro,
        "checklist": form.checklist,
        "checklist_label": form.checklist_label,
        "questions": [
            {
                "key": question.key,
                "kind": question.kind,
                "text": question.text,
                "statement": question.statement,
                "help_text": question.help_text,
                "required": question.required,
                "choices": choices_of(question.choices),
                "review_when": question.review_when.strip(),
                "review_label": question.review_label.strip(),
            }
            for question in form.questions.order_by("position", "pk")
        ],
    }


@transaction.atomic
def form_publish(*, form: IntakeForm, by=None) -> IntakeFormVersion:
    """The form's current version: a new one when its wording changed since the last.

    The form row is locked, so two editors saving at once cannot both take
    the same number (the unique constraint would refuse the second anyway).
    """
    IntakeForm.objects.select_for_update().filter(pk=form.pk).first()
    latest = form.versions.order_by("-number").first()
    definition = definition_of(form)
    if latest is not None and latest.definition == definition:
        return latest
    return IntakeFormVersion.objects.create(
        form=form,
        number=(latest.number + 1) if latest else 1,
        definition=definition,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
