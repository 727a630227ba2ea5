"""The intake form builder: a form's questions in order, its versions, its treatments.

Saving a form publishes its wording as a new version when it changed
(booking.intake.versions.form_publish); answers already given keep the
version they answered.
"""

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from booking.admin.pages import NamedCellsInline
from booking.intake.versions import choices_of, form_publish
from booking.models import IntakeForm, IntakeQuestion, QuestionKind, TreatmentIntakeForm
from booking.models.intake import CHOICE_KINDS


class IntakeQuestionForm(forms.ModelForm):
    """One question; what would make it unanswerable is said next to the field."""

    class Meta:
        model = IntakeQuestion
        fields = [
            "position",
            "text",
            "kind",
            "required",
            "help_text",
            "choices",
            "statement",
            "review_when",
            "review_label",
            "key",
        ]
        widgets = {
            "choices": forms.Textarea(attrs={"rows": 3, "cols": 24}),
            "text": forms.TextInput(attrs={"size": 40}),
        }

    def clean(self):
        cleaned = super().clean()
        kind, choices = cleaned.get("kind"), choices_of(cleaned.get("choices", ""))
        review = (cleaned.get("review_when") or "").strip()
        if kind in CHOICE_KINDS and len(choices) < 2:
            self.add_error("choices", _("Give at least two choices, one per line."))
        if kind not in CHOICE_KINDS and choices and "choices" not in self.errors:
            self.add_error("choices", _("Only questions with choices have choices: clear this."))
        if review and kind == QuestionKind.YES_NO and review.casefold() not in {"yes", "no"}:
            self.add_error("review_when", _("For a yes/no question, write yes or no."))
        if review and kind in CHOICE_KINDS and review not in choices:
            self.add_error("review_when", _("Write one of the choices exactly as listed."))
        return cleaned


class IntakeQuestionInline(admin.StackedInline):
    model = IntakeQuestion
    form = IntakeQuestionForm
    extra = 0
    prepopulated_fields = {"key": ["text"]}
    fieldsets = [
        (None, {"fields": [("position", "kind", "required"), "text", "help_text"]}),
        (
            _("Choices, list wording and review"),
            {
                # One field a line: Django unfolds a folded section whose fields have
                # errors, but does not look inside a line of two.
                "fields": ["choices", "statement", "review_when", "review_label", "key"],
                "classes": ["collapse"],
            },
        ),
    ]


class TreatmentLinkInline(NamedCellsInline):
    model = TreatmentIntakeForm
    extra = 0
    fields = ["treatment", "when", "position"]
    verbose_name = _("treatment that asks this form")
    verbose_name_plural = _("treatments that ask this form")


class IntakeFormForm(forms.ModelForm):
    class Meta:
        model = IntakeForm
        fields = ["title", "slug", "intro", "checklist", "checklist_label", "is_active"]


class IntakeFormAdmin(admin.ModelAdmin):
    form = IntakeFormForm
    list_display = ["title", "question_count", "current_version", "asked_by", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [IntakeQuestionInline, TreatmentLinkInline]
    readonly_fields = ["versions_list"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "intro", "is_active"]}),
        (_("Asked as one list"), {"fields": ["checklist", "checklist_label"]}),
        (_("Versions"), {"fields": ["versions_list"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("questions", "versions", "treatment_links__treatment")
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = form.instance.versions.order_by("-number").first()
        version = form_publish(form=form.instance, by=request.user)
        if before is not None and version.pk != before.pk:
            self.message_user(
                request,
                _(
                    "Published as version %(number)d. Answers given before keep the wording "
                    "of the version they answered."
                )
                % {"number": version.number},
            )

    @admin.display(description=_("questions"))
    def question_count(self, obj):
        return len(obj.questions.all())

    @admin.display(description=_("version"))
    def current_version(self, obj):
        numbers = [v.number for v in obj.versions.all()]
        return max(numbers) if numbers else "–"

    @admin.display(description=_("asked by"))
    def asked_by(self, obj):
        return ", ".join(
            f"{link.treatment.name} ({link.get_when_display().lower()})"
            for link in obj.treatment_links.all()
        )

    @admin.display(description=_("versions"))
    def versions_list(self, obj):
        versions = list(obj.versions.all()) if obj.pk else []
        if not versions:
            return _("Published when you save.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {}: {} {}</li>",
                (
                    (
                        _("Version"),
                        v.number,
                        v.created_at.strftime("%-d %b %Y %H:%M"),
                        f"({len(v.definition.get('questions', []))} questions)",
                    )
                    for v in versions
                ),
            ),
        )
