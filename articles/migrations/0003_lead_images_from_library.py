import django.db.models.deletion
from django.db import migrations, models

from images.legacy import library_image_for

HELP = (
    "From the image library, with its text alternative. Shown at the top of the page, "
    "on cards and when the page is shared. Empty: a card with the title."
)


def lead_image():
    return models.ForeignKey(
        blank=True,
        help_text=HELP,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="+",
        to="images.image",
        verbose_name="lead image",
    )


def hero_images_into_library(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Image = apps.get_model("images", "Image")
    for article in Article.objects.exclude(hero_image=""):
        image = library_image_for(Image, article.hero_image.name, article.hero_alt)
        if image is not None:
            article.lead_image = image
            article.save(update_fields=["lead_image"])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_revisions_and_redirects"),
        ("images", "0001_image_library"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="article", name="article_hero_has_alt"),
        migrations.AddField(model_name="article", name="lead_image", field=lead_image()),
        migrations.AddField(model_name="servicepage", name="lead_image", field=lead_image()),
        migrations.AddField(model_name="conditionpage", name="lead_image", field=lead_image()),
        migrations.RunPython(hero_images_into_library, migrations.RunPython.noop),
        migrations.RemoveField(model_name="article", name="hero_image"),
        migrations.RemoveField(model_name="article", name="hero_alt"),
    ]
