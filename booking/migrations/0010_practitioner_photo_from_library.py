import django.db.models.deletion
from django.db import migrations, models

from images.legacy import library_image_for


def photos_into_library(apps, schema_editor):
    Practitioner = apps.get_model("booking", "Practitioner")
    Image = apps.get_model("images", "Image")
    for practitioner in Practitioner.objects.exclude(photo=""):
        image = library_image_for(Image, practitioner.photo.name, practitioner.photo_alt)
        if image is not None:
            practitioner.library_photo = image
            practitioner.save(update_fields=["library_photo"])


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0009_waitlist_roles"),
        ("images", "0001_image_library"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="practitioner", name="practitioner_photo_has_alt"),
        migrations.AddField(
            model_name="practitioner",
            name="library_photo",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="images.image",
            ),
        ),
        migrations.RunPython(photos_into_library, migrations.RunPython.noop),
        migrations.RemoveField(model_name="practitioner", name="photo"),
        migrations.RemoveField(model_name="practitioner", name="photo_alt"),
        migrations.RenameField(model_name="practitioner", old_name="library_photo", new_name="photo"),
        migrations.AlterField(
            model_name="practitioner",
            name="photo",
            field=models.ForeignKey(
                blank=True,
                help_text="From the image library, with its text alternative. Square works best.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="images.image",
                verbose_name="photo",
            ),
        ),
    ]
