"""A treatment's questions as fields of a Django form, with a message beside each.

Patients get each form as one group: a form asked as one list shows its
yes/no questions as statements to tick, beside "None of these apply to me"
(one of the two is required, so nobody skips them); every other question is
a field of its own. Staff on the phone get every yes/no question as its own
No/Yes choice, since they read the questions aloud.
"""

from datetime import date
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from booking.intake.questions import Asked
from booking.models.intake import QuestionKind
from clinic.forms import MultilineField

CHECKLIST_MISSING = "Tick each one that applies to you, or “None of these apply to me”."
CHECKLIST_BOTH = (
    "You ticked “None of these apply to me” and one that applies: please untick one of them."
)
YES_NO = [("no", "No"), ("yes", "Yes")]

REQUIRED_MESSAGES = {
    QuestionKind.YES_NO: "Answer yes or no.",
    QuestionKind.SHORT_TEXT: "Answer this question.",
    QuestionKind.LONG_TEXT: "Answer this question.",
    QuestionKind.ONE_CHOICE: "Choose one answer.",
    QuestionKind.SEVERAL_CHOICES: "Choose at least one answer.",
    QuestionKind.DATE: "Enter a date.",
    QuestionKind.NUMBER: "Enter a number.",
}


# A hidden field naming the version of each form shown ("needle-safety:3 health:1"), so
# the answers sent are read against the words the patient read, even when staff
# edited a form in between.
VERSIONS_FIELD = "intake_versions"


class AskedVersionsField(forms.CharField):
    """The hidden list of versions shown. Sent back with mistakes to fix, it names the
    versions the page asks again (its initial), never what was sent: a version that does
    not exist, or a form not asked, is not carried on to the next page."""

    def bound_data(self, data, initial):
        return initial


def versions_posted(data) -> dict[str, int]:
    """The versions a posted form says it showed; anything malformed is left out."""
    raw = str(data.get(VERSIONS_FIELD, "") or "")[:2000]
    versions = {}
    for part in raw.split():
        slug, _sep, number = part.partition(":")
        if slug and number.isascii() and number.isdigit() and len(number) <= 9:
            versions[slug] = int(number)
    return versions


def checklist_name(asked: Asked) -> str:
    return f"intake-{asked.slug}"


def none_name(asked: Asked) -> str:
    return f"intake-{asked.slug}-none"


def question_name(question: dict) -> str:
    return f"q-{question['key']}"


def _in_checklist(asked: Asked, question: dict, staff: bool) -> bool:
    return (
        not staff
        and asked.checklist
        and question["kind"] == QuestionKind.YES_NO
        and bool(question.get("statement"))
    )


def question_field(question: dict, *, staff: bool = False) -> forms.Field:
    """One question as a field; its label is the question's own words."""
    kind, required = question["kind"], question["required"]
    common = {
        "label": question["text"],
        "help_text": question.get("help_text", ""),
        "required": required,
        "error_messages": {"required": REQUIRED_MESSAGES.get(kind, "Answer this question.")},
    }
    if kind == QuestionKind.YES_NO:
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    if kind == QuestionKind.SHORT_TEXT:
        common["error_messages"]["max_length"] = "Please keep this under 300 characters."
        return forms.CharField(max_length=300, **common)
    if kind == QuestionKind.LONG_TEXT:
        common["error_messages"]["max_length"] = "Please keep this under 2,000 characters."
        return MultilineField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), **common)
    choices = [(choice, choice) for choice in question.get("choices", [])]
    if kind == QuestionKind.ONE_CHOICE:
        common["error_messages"]["invalid_choice"] = "Choose one of the answers listed."
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if kind == QuestionKind.SEVERAL_CHOICES:
        common["error_messages"]["invalid_choice"] = "Choose from the answers listed."
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == QuestionKind.DATE:
        common["error_messages"]["invalid"] = "Enter a real date, for example 24/06/2027."
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    common["error_messages"]["invalid"] = "Enter a number, for example 12 or 2.5."
    common["error_messages"]["max_digits"] = "That number is too long."
    common["error_messages"]["max_decimal_places"] = "Use at most two decimal places."
    return forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        **common,
    )


class IntakeGroup:
    """One form's fields on a page: the list to tick (if any), then the other questions."""

    def __init__(self, form: forms.Form, asked: Asked, *, staff: bool):
        self.asked = asked
        self.title = asked.title
        self.intro = asked.definition.get("intro", "")
        self.slug = asked.slug
        listed = checklist_name(asked)
        self.ticks = form[listed] if listed in form.fields else None
        self.none = form[none_name(asked)] if none_name(asked) in form.fields else None
        self.fields = [
            form[question_name(question)]
            for question in asked.questions
            if question_name(question) in form.fields
        ]

    @property
    def has_errors(self) -> bool:
        return any(field.errors for field in self.all_fields)

    @property
    def all_fields(self):
        return [f for f in (self.ticks, self.none) if f is not None] + self.fields


def add_intake_fields(form: forms.Form, asked: list[Asked], *, staff: bool = False) -> None:
    """Add the questions of these forms to `form` (see the module's note)."""
    form.intake_asked = list(asked)
    form.intake_staff = staff
    if asked:
        form.fields[VERSIONS_FIELD] = AskedVersionsField(
            widget=forms.HiddenInput,
            required=False,
            initial=" ".join(f"{one.slug}:{one.number}" for one in asked),
        )
    for one in asked:
        listed = [q for q in one.questions if _in_checklist(one, q, staff)]
        if listed:
            form.fields[checklist_name(one)] = forms.MultipleChoiceField(
                label=one.definition.get("checklist_label") or "Do any of these apply to you?",
                choices=[(q["key"], q["statement"]) for q in listed],
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
            form.fields[none_name(one)] = forms.BooleanField(
                label="None of these apply to me", required=False
            )
        for question in one.questions:
            if not _in_checklist(one, question, staff):
                form.fields[question_name(question)] = question_field(question, staff=staff)


def intake_field_names(form: forms.Form) -> list[str]:
    names = [f.name for group in intake_groups(form) for f in group.all_fields]
    return names + ([VERSIONS_FIELD] if VERSIONS_FIELD in form.fields else [])


def intake_groups(form: forms.Form) -> list[IntakeGroup]:
    staff = getattr(form, "intake_staff", False)
    return [IntakeGroup(form, one, staff=staff) for one in getattr(form, "intake_asked", [])]


def clean_intake(form: forms.Form, cleaned: dict) -> None:
    """Each list needs a tick, or "None of these apply to me", but not both."""
    for one in getattr(form, "intake_asked", []):
        listed = checklist_name(one)
        if listed not in form.fields:
            continue
        ticked, none = cleaned.get(listed) or [], cleaned.get(none_name(one))
        if not ticked and not none:
            form.add_error(listed, CHECKLIST_MISSING)
        elif ticked and none:
            form.add_error(none_name(one), CHECKLIST_BOTH)


def _value(question: dict, raw):
    """A cleaned field's value as answers carry it (JSON: bool, str, list)."""
    if raw in (None, "", []):
        return None
    if question["kind"] == QuestionKind.YES_NO:
        return raw == "yes"
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, Decimal):
        return str(raw.normalize()) if raw == raw.to_integral() else str(raw)
    if isinstance(raw, list):
        return [str(v) for v in raw]
    return str(raw).strip() or None


def intake_answers(form: forms.Form) -> dict:
    """Every question of the cleaned form answered: key to value (None: left empty)."""
    cleaned = form.cleaned_data
    answers = {}
    for one in getattr(form, "intake_asked", []):
        ticked = set(cleaned.get(checklist_name(one)) or [])
        for question in one.questions:
            if _in_checklist(one, question, form.intake_staff):
                answers[question["key"]] = question["key"] in ticked
            else:
                value = _value(question, cleaned.get(question_name(question)))
                if value is not None:
                    answers[question["key"]] = value
    return answers


def intake_initial(asked: list[Asked], answers: dict, *, staff: bool = False) -> dict:
    """Form initial data from answers given before (nothing typed is lost)."""
    if not answers:
        return {}
    initial = {}
    for one in asked:
        listed = [q for q in one.questions if _in_checklist(one, q, staff)]
        if listed and any(q["key"] in answers for q in listed):
            ticked = [q["key"] for q in listed if answers.get(q["key"]) is True]
            initial[checklist_name(one)] = ticked
            initial[none_name(one)] = not ticked
        for question in one.questions:
            if _in_checklist(one, question, staff) or question["key"] not in answers:
                continue
            value = answers[question["key"]]
            if question["kind"] == QuestionKind.YES_NO and isinstance(value, bool):
                value = "yes" if value else "no"
            initial[question_name(question)] = value
    return initial


class IntakeQuestionsMixin:
    """For a form that asks intake questions (add_intake_fields in its __init__): the
    groups its template draws, the lists' check, and the answers."""

    @property
    def intake_groups(self):
        return intake_groups(self)

    def clean(self):
        cleaned = super().clean()
        clean_intake(self, cleaned)
        return cleaned

    def answers(self) -> dict:
        return intake_answers(self)


STAFF_REQUIRED = _("%(treatment)s needs this answer: ask the patient.")
