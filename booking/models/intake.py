"""Intake forms the clinic writes: questions asked at booking or before the visit.

A form's questions are edited freely; each edit is published as a numbered
version, a frozen copy of the wording (booking.intake.versions). Patients
answer a version, and the appointment keeps each answer with the exact words
they were asked (AppointmentRequest.answers), so later edits never change
what a stored answer means.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes or no")
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    ONE_CHOICE = "one_choice", _("One choice")
    SEVERAL_CHOICES = "several_choices", _("Several choices")
    DATE = "date", _("Date")
    NUMBER = "number", _("Number")


# Kinds whose answers are picked from the question's own list of choices.
CHOICE_KINDS = [QuestionKind.ONE_CHOICE, QuestionKind.SEVERAL_CHOICES]


class IntakeWhen(models.TextChoices):
    BOOKING = "booking", _("While booking")
    BEFORE_VISIT = "before_visit", _("Before the first visit (private link by e-mail)")


class IntakeForm(models.Model):
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    intro = models.TextField(
        _("introduction"), blank=True, help_text=_("Shown above the questions.")
    )
    checklist = models.BooleanField(
        _("ask yes/no questions as one list"),
        default=False,
        help_text=_(
            "Patients tick each statement that applies, or “None of these apply to me”. "
            "Every yes/no question then needs its statement."
        ),
    )
    checklist_label = models.CharField(
        _("list question"),
        max_length=200,
        blank=True,
        default="Do any of these apply to you?",
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive forms are not asked.")
    )
    treatments = models.ManyToManyField(
        "booking.Treatment",
        through="TreatmentIntakeForm",
        related_name="intake_forms",
        blank=True,
        verbose_name=_("treatments"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("intake form")
        verbose_name_plural = _("intake forms")
        ordering = ["title"]

    def __str__(self):
        return self.title


class IntakeQuestion(models.Model):
    form = models.ForeignKey(
        IntakeForm, on_delete=models.CASCADE, related_name="questions", verbose_name=_("form")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # One name across every form: a booking's answers travel as one map of
    # key to answer, whichever forms its treatment asks.
    key = models.SlugField(
        _("key"),
        max_length=60,
        unique=True,
        help_text=_("A short name for the answer in exports. Letters, digits and hyphens."),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=QuestionKind.choices, default=QuestionKind.YES_NO
    )
    text = models.CharField(_("question"), max_length=300)
    statement = models.CharField(
        _("statement"),
        max_length=300,
        blank=True,
        help_text=_("For a form asked as one list: the question as a statement to tick."),
    )
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For one or several choices: one per line.")
    )
    review_when = models.CharField(
        _("needs review when the answer is"),
        max_length=200,
        blank=True,
        help_text=_(
            "Yes or no, or one of the choices. Such an answer is flagged for staff, and makes "
            "an online booking a request where the treatment says so. Empty: never."
        ),
    )
    review_label = models.CharField(
        _("flag shown to staff"),
        max_length=80,
        blank=True,
        help_text=_("A few words, such as “Blood thinners”. Empty: the question."),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="intake_question_kind_valid"
            ),
        ]

    def __str__(self):
        return self.text


class IntakeFormVersion(models.Model):
    """A form's wording as published: what patients answering this version saw."""

    form = models.ForeignKey(
        IntakeForm, on_delete=models.CASCADE, related_name="versions", verbose_name=_("form")
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("questions as asked"), encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("published"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        ordering = ["form", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="intake_version_unique"),
        ]

    def __str__(self):
        return f"{self.form} v{self.number}"


class TreatmentIntakeForm(models.Model):
    treatment = models.ForeignKey(
        "booking.Treatment",
        on_delete=models.CASCADE,
        related_name="intake_links",
        verbose_name=_("treatment"),
    )
    form = models.ForeignKey(
        IntakeForm, on_delete=models.CASCADE, related_name="treatment_links", verbose_name=_("form")
    )
    when = models.CharField(
        _("answered"), max_length=20, choices=IntakeWhen.choices, default=IntakeWhen.BOOKING
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("intake form of a treatment")
        verbose_name_plural = _("intake forms")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["treatment", "form"], name="intake_form_once"),
            models.CheckConstraint(
                condition=Q(when__in=IntakeWhen.values), name="intake_when_valid"
            ),
        ]

    def __str__(self):
        return f"{self.form} · {self.treatment}"


class IntakeInvitation(models.Model):
    """A form one appointment's patient fills in before the visit, by a private link.

    The link's token is stored as its SHA-256 only; it opens this form for
    this appointment and nothing else, until the appointment ends.
    """

    appointment = models.ForeignKey(
        "booking.AppointmentRequest",
        on_delete=models.CASCADE,
        related_name="intake_invitations",
        verbose_name=_("appointment"),
    )
    form = models.ForeignKey(
        IntakeForm, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("form")
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filled in by staff"),
    )

    class Meta:
        verbose_name = _("pre-visit form")
        verbose_name_plural = _("pre-visit forms")
        ordering = ["appointment", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "form"], name="intake_invitation_once"),
        ]

    def __str__(self):
        return f"{self.form} · {self.appointment_id}"
