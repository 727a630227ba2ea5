"""Intake forms the clinic writes, and the needle safety questions moved into one.

The five safety questions that were written in code become the form "Safety
questions for needle treatments" (version 1, their wording unchanged), asked
while booking every treatment that was marked needle-based. Each appointment's
answers are kept with that wording, the way every answer is kept from now on.
"""

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# The questions as they were in booking/screening.py: frozen here, so that this
# migration means the same whatever the code says later.
NEEDLE_SAFETY = [
    ("pregnant", "Are you pregnant, or could you be?", "I am pregnant, or could be", "Pregnant"),
    (
        "bleeding",
        "Do you have a bleeding disorder, or do you take blood-thinning medicine?",
        "I have a bleeding disorder, or take blood-thinning medicine",
        "Bleeding disorder or blood thinners",
    ),
    (
        "needle_fear",
        "Are you afraid of needles, or have you ever fainted with them?",
        "I am afraid of needles, or have fainted with them",
        "Needle fear or fainting",
    ),
    (
        "implant",
        "Do you have a pacemaker or another implanted device?",
        "I have a pacemaker or another implanted device",
        "Implanted device",
    ),
    (
        "recent_surgery",
        "Have you had surgery or an infection at the area to be treated in the last six weeks?",
        "I have had surgery or an infection at the area to be treated in the last six weeks",
        "Recent surgery or infection",
    ),
]
SLUG = "needle-safety"
TITLE = "Safety questions for needle treatments"
INTRO = "Answering yes does not stop you booking: it helps your practitioner plan a safe session."
LIST_LABEL = "Do any of these apply to you?"


def _yes(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower().startswith("yes"))


def forms_from_code(apps, schema_editor):
    IntakeForm = apps.get_model("booking", "IntakeForm")
    IntakeQuestion = apps.get_model("booking", "IntakeQuestion")
    IntakeFormVersion = apps.get_model("booking", "IntakeFormVersion")
    TreatmentIntakeForm = apps.get_model("booking", "TreatmentIntakeForm")
    Treatment = apps.get_model("booking", "Treatment")
    AppointmentRequest = apps.get_model("booking", "AppointmentRequest")
    needle = list(Treatment.objects.filter(is_needle_based=True))
    asked = AppointmentRequest.objects.exclude(screening={})
    if not needle and not asked.exists():
        return  # a new database: the demo loader adds the form as demo content
    form = IntakeForm.objects.create(
        slug=SLUG, title=TITLE, intro=INTRO, checklist=True, checklist_label=LIST_LABEL
    )
    questions = []
    for position, (key, text, statement, label) in enumerate(NEEDLE_SAFETY):
        IntakeQuestion.objects.create(
            form=form,
            position=position,
            key=key,
            kind="yes_no",
            text=text,
            statement=statement,
            required=True,
            review_when="yes",
            review_label=label,
        )
        questions.append(
            {
                "key": key,
                "kind": "yes_no",
                "text": text,
                "statement": statement,
                "help_text": "",
                "required": True,
                "choices": [],
                "review_when": "yes",
                "review_label": label,
            }
        )
    IntakeFormVersion.objects.create(
        form=form,
        number=1,
        definition={
            "form": SLUG,
            "title": TITLE,
            "intro": INTRO,
            "checklist": True,
            "checklist_label": LIST_LABEL,
            "questions": questions,
        },
    )
    for treatment in needle:
        TreatmentIntakeForm.objects.create(treatment=treatment, form=form, when="booking")
    wording = {key: (text, label) for key, text, _statement, label in NEEDLE_SAFETY}
    for appointment in asked.iterator():
        kept = []
        for key, value in dict(appointment.screening).items():
            text, label = wording.get(key, (str(key).replace("_", " ").capitalize(), ""))
            yes = _yes(value)
            kept.append(
                {
                    "form": SLUG,
                    "form_title": TITLE,
                    "version": 1,
                    "key": key,
                    "kind": "yes_no",
                    "question": text,
                    "value": value if isinstance(value, bool) else str(value),
                    "answer": ("Yes" if yes else "No") if isinstance(value, bool) else str(value),
                    "flag": (label or text) if yes else "",
                }
            )
        appointment.answers = kept
        appointment.save(update_fields=["answers"])


def answers_back_to_screening(apps, schema_editor):
    AppointmentRequest = apps.get_model("booking", "AppointmentRequest")
    Treatment = apps.get_model("booking", "Treatment")
    TreatmentIntakeForm = apps.get_model("booking", "TreatmentIntakeForm")
    needle = TreatmentIntakeForm.objects.filter(form__slug=SLUG).values("treatment_id")
    Treatment.objects.filter(pk__in=needle).update(is_needle_based=True)
    for appointment in AppointmentRequest.objects.exclude(answers=[]).iterator():
        appointment.screening = {
            item["key"]: item["value"] for item in appointment.answers if item.get("form") == SLUG
        }
        appointment.save(update_fields=["screening"])


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0015_courses"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IntakeForm",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=120, verbose_name="title")),
                ("slug", models.SlugField(max_length=60, unique=True, verbose_name="slug")),
                (
                    "intro",
                    models.TextField(
                        blank=True,
                        help_text="Shown above the questions.",
                        verbose_name="introduction",
                    ),
                ),
                (
                    "checklist",
                    models.BooleanField(
                        default=False,
                        help_text="Patients tick each statement that applies, or “None of these apply to me”. Every yes/no question then needs its statement.",
                        verbose_name="ask yes/no questions as one list",
                    ),
                ),
                (
                    "checklist_label",
                    models.CharField(
                        blank=True,
                        default="Do any of these apply to you?",
                        max_length=200,
                        verbose_name="list question",
                    ),
                ),
                (
                    "is_active",
                    models.BooleanField(
                        default=True,
                        help_text="Inactive forms are not asked.",
                        verbose_name="active",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
            ],
            options={
                "verbose_name": "intake form",
                "verbose_name_plural": "intake forms",
                "ordering": ["title"],
            },
        ),
        migrations.AddField(
            model_name="appointmentrequest",
            name="answers",
            field=models.JSONField(
                blank=True,
                default=list,
                encoder=django.core.serializers.json.DjangoJSONEncoder,
                verbose_name="answers to intake forms",
            ),
        ),
        migrations.AlterField(
            model_name="treatment",
            name="confirmation",
            field=models.CharField(
                choices=[
                    ("always", "Always"),
                    ("never", "Never"),
                    ("review", "When an answer needs review"),
                ],
                default="always",
                help_text="Always: every online booking is a request staff confirm. Never: booked at once. When answers need review: booked at once unless an answer to its intake forms needs a look first.",
                max_length=10,
                verbose_name="staff confirm online bookings",
            ),
        ),
        migrations.CreateModel(
            name="TreatmentIntakeForm",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "when",
                    models.CharField(
                        choices=[
                            ("booking", "While booking"),
                            ("before_visit", "Before the first visit (private link by e-mail)"),
                        ],
                        default="booking",
                        max_length=20,
                        verbose_name="answered",
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="position")),
                (
                    "form",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="treatment_links",
                        to="booking.intakeform",
                        verbose_name="form",
                    ),
                ),
                (
                    "treatment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="intake_links",
                        to="booking.treatment",
                        verbose_name="treatment",
                    ),
                ),
            ],
            options={
                "verbose_name": "intake form of a treatment",
                "verbose_name_plural": "intake forms",
                "ordering": ["position", "pk"],
            },
        ),
        migrations.AddField(
            model_name="intakeform",
            name="treatments",
            field=models.ManyToManyField(
                blank=True,
                related_name="intake_forms",
                through="booking.TreatmentIntakeForm",
                to="booking.treatment",
                verbose_name="treatments",
            ),
        ),
        migrations.CreateModel(
            name="IntakeFormVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField(verbose_name="version")),
                (
                    "definition",
                    models.JSONField(
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                        verbose_name="questions as asked",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="published")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "form",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="versions",
                        to="booking.intakeform",
                        verbose_name="form",
                    ),
                ),
            ],
            options={
                "verbose_name": "form version",
                "verbose_name_plural": "form versions",
                "ordering": ["form", "-number"],
                "constraints": [
                    models.UniqueConstraint(fields=("form", "number"), name="intake_version_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="IntakeInvitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token_hash", models.CharField(editable=False, max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="asked")),
                (
                    "answered_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="answered"),
                ),
                (
                    "answered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="filled in by staff",
                    ),
                ),
                (
                    "appointment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="intake_invitations",
                        to="booking.appointmentrequest",
                        verbose_name="appointment",
                    ),
                ),
                (
                    "form",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invitations",
                        to="booking.intakeform",
                        verbose_name="form",
                    ),
                ),
            ],
            options={
                "verbose_name": "pre-visit form",
                "verbose_name_plural": "pre-visit forms",
                "ordering": ["appointment", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("appointment", "form"), name="intake_invitation_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="IntakeQuestion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="position")),
                (
                    "key",
                    models.SlugField(
                        help_text="A short name for the answer in exports. Letters, digits and hyphens.",
                        max_length=60,
                        unique=True,
                        verbose_name="key",
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("yes_no", "Yes or no"),
                            ("short_text", "Short text"),
                            ("long_text", "Long text"),
                            ("one_choice", "One choice"),
                            ("several_choices", "Several choices"),
                            ("date", "Date"),
                            ("number", "Number"),
                        ],
                        default="yes_no",
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                ("text", models.CharField(max_length=300, verbose_name="question")),
                (
                    "statement",
                    models.CharField(
                        blank=True,
                        help_text="For a form asked as one list: the question as a statement to tick.",
                        max_length=300,
                        verbose_name="statement",
                    ),
                ),
                (
                    "help_text",
                    models.CharField(blank=True, max_length=300, verbose_name="help text"),
                ),
                ("required", models.BooleanField(default=True, verbose_name="required")),
                (
                    "choices",
                    models.TextField(
                        blank=True,
                        help_text="For one or several choices: one per line.",
                        verbose_name="choices",
                    ),
                ),
                (
                    "review_when",
                    models.CharField(
                        blank=True,
                        help_text="Yes or no, or one of the choices. Such an answer is flagged for staff, and makes an online booking a request where the treatment says so. Empty: never.",
                        max_length=200,
                        verbose_name="needs review when the answer is",
                    ),
                ),
                (
                    "review_label",
                    models.CharField(
                        blank=True,
                        help_text="A few words, such as “Blood thinners”. Empty: the question.",
                        max_length=80,
                        verbose_name="flag shown to staff",
                    ),
                ),
                (
                    "form",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="questions",
                        to="booking.intakeform",
                        verbose_name="form",
                    ),
                ),
            ],
            options={
                "verbose_name": "question",
                "verbose_name_plural": "questions",
                "ordering": ["position", "pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "kind__in",
                                [
                                    "yes_no",
                                    "short_text",
                                    "long_text",
                                    "one_choice",
                                    "several_choices",
                                    "date",
                                    "number",
                                ],
                            )
                        ),
                        name="intake_question_kind_valid",
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="treatmentintakeform",
            constraint=models.UniqueConstraint(
                fields=("treatment", "form"), name="intake_form_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="treatmentintakeform",
            constraint=models.CheckConstraint(
                condition=models.Q(("when__in", ["booking", "before_visit"])),
                name="intake_when_valid",
            ),
        ),
        migrations.RunPython(forms_from_code, answers_back_to_screening),
        migrations.RemoveField(
            model_name="appointmentrequest",
            name="screening",
        ),
        migrations.RemoveField(
            model_name="treatment",
            name="is_needle_based",
        ),
    ]
