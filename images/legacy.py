"""Moving images uploaded before the library into it (used by migrations)."""

from django.core.files.storage import default_storage
from PIL import Image as PILImage


def library_image_for(ImageModel, name: str, alt_text: str):
    """A library row for an uploaded file, or None when the file is gone.

    Renditions are made afterwards by ``manage.py make_renditions``; until then
    pages show the original.
    """
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as handle:
            width, height = PILImage.open(handle).size
    except (OSError, ValueError):
        return None
    return ImageModel.objects.create(
        file=name,
        alt_text=alt_text,
        decorative=not alt_text,
        width=width,
        height=height,
    )
