import io

import pytest
from django.core.management import call_command

from articles.models import Article, ConditionPage, ServicePage
from booking.models import Practitioner
from images.models import Image

pytestmark = pytest.mark.django_db


def test_the_demo_draws_its_own_pictures_once_with_text_alternatives(settings):
    settings.DEMO_IMAGES = True
    settings.IMAGE_RENDITION_WIDTHS = [320]  # a quicker run; widths are tested elsewhere
    call_command("load_demo", stdout=io.StringIO())

    practitioners = list(Practitioner.objects.select_related("photo"))
    assert practitioners and all(p.photo is not None for p in practitioners)
    assert all(p.photo.alt_text == f"Illustrated portrait of {p.name}" for p in practitioners)
    for model in (Article, ServicePage, ConditionPage):
        assert not model.objects.filter(lead_image=None).exists(), model
    images = list(Image.objects.all())
    assert all(image.alt_text and image.renditions["widths"] for image in images)
    assert all(image.file.name.startswith("images/demo/") for image in images)
    # Articles share their pictures with the pages they are closest to.
    assert len(images) == len(practitioners) + 10

    call_command("load_demo", stdout=io.StringIO())
    assert Image.objects.count() == len(images)
