"""Writes to the image library."""

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from images.models import Image
from images.renditions import delete_renditions, make_renditions
from images.signals import image_changed


class ImageError(Exception):
    """An image that cannot be saved as asked."""


def _announce_change() -> None:
    image_changed.send(sender=Image)


def _check_alt(*, alt_text: str, decorative: bool) -> None:
    if not decorative and not alt_text.strip():
        raise ImageError(
            _("Describe the image for people who cannot see it, or mark it decorative.")
        )


@transaction.atomic
def image_save(*, image: Image) -> Image:
    """Save ``image`` (new or changed) and make its renditions once.

    Renditions are made again only when the file is new or replaced; the old
    ones are removed from storage after the change commits. A changed image may
    be on any cached page (its text alternative, its file) or be the clinic's
    home page picture, so the cached pages and the clinic's identity go stale
    (``image_changed``, sent once the change commits).
    """
    _check_alt(alt_text=image.alt_text, decorative=image.decorative)
    previous = None
    if image.pk:
        previous = Image.objects.select_for_update().filter(pk=image.pk).first()
    file_changed = previous is None or previous.file.name != image.file.name
    image.save()
    if file_changed or not image.renditions:
        old = previous.renditions if previous else {}
        try:
            image.renditions = make_renditions(image)
        except (OSError, ValueError) as error:
            raise ImageError(_("This file could not be read as an image.")) from error
        image.save(update_fields=["renditions"])
        if old and old.get("key") != image.renditions["key"]:
            transaction.on_commit(lambda: delete_renditions(old))
    if previous is not None:
        transaction.on_commit(_announce_change)
    return image


@transaction.atomic
def image_delete(*, image: Image) -> None:
    """Remove ``image`` from the library: pages that showed it lose it (their
    links are set empty), their cached copies go stale, and once that commits
    its renditions and its original leave storage."""
    renditions, original = image.renditions or {}, image.file.name
    image.delete()
    # Rows moved from older uploads (images.legacy) may share an original.
    shared = Image.objects.filter(file=original).exists()

    def delete_files():
        delete_renditions(renditions)
        if original and not shared:
            default_storage.delete(original)

    transaction.on_commit(delete_files, robust=True)
    transaction.on_commit(_announce_change)


def image_create(
    *, file, alt_text: str = "", decorative: bool = False, caption: str = "", credit: str = ""
) -> Image:
    """Add a picture to the library; ``file`` is a Django ``File``."""
    _check_alt(alt_text=alt_text, decorative=decorative)
    image = Image(alt_text=alt_text, decorative=decorative, caption=caption, credit=credit)
    try:
        image.file.save(file.name, file, save=False)
    except ValidationError as error:  # pragma: no cover - storage-level refusal
        raise ImageError(str(error)) from error
    return image_save(image=image)


def image_ensure_renditions(*, image: Image) -> Image:
    """Make the renditions of an image saved without them (an older upload)."""
    if image.renditions:
        return image
    return image_save(image=image)
