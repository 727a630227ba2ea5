from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from PIL import Image as PILImage


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads and renditions go to a temporary folder, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMAGE_RENDITION_WIDTHS = [160, 320, 640]
    return settings.MEDIA_ROOT


def make_upload(name="photo.png", size=(500, 300), colour=(13, 92, 85), fmt="PNG") -> ContentFile:
    buffer = BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format=fmt)
    return ContentFile(buffer.getvalue(), name=name)
