"""When staff confirm online bookings: always, never, or when a safety answer needs review.

Replaces the yes/no `requires_confirmation`: yes becomes "always", no "never",
so no clinic's policy changes by itself; staff choose "review" where they want it.
"""

from django.db import migrations, models


def from_the_old_switch(apps, schema_editor):
    Treatment = apps.get_model("booking", "Treatment")
    Treatment.objects.filter(requires_confirmation=False).update(confirmation="never")


def to_the_old_switch(apps, schema_editor):
    Treatment = apps.get_model("booking", "Treatment")
    Treatment.objects.filter(confirmation="never").update(requires_confirmation=False)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0011_patient_possible_match"),
    ]

    operations = [
        migrations.AddField(
            model_name="treatment",
            name="confirmation",
            field=models.CharField(
                choices=[
                    ("always", "Always"),
                    ("never", "Never"),
                    ("review", "When a safety answer needs review"),
                ],
                default="always",
                help_text=(
                    "Always: every online booking is a request staff confirm. Never: booked at "
                    "once. When answers need review: booked at once unless a safety answer needs "
                    "a look first."
                ),
                max_length=10,
                verbose_name="staff confirm online bookings",
            ),
        ),
        migrations.RunPython(from_the_old_switch, to_the_old_switch),
        migrations.RemoveField(model_name="treatment", name="requires_confirmation"),
        migrations.AddConstraint(
            model_name="treatment",
            constraint=models.CheckConstraint(
                condition=models.Q(("confirmation__in", ["always", "never", "review"])),
                name="treatment_confirmation_valid",
            ),
        ),
    ]
