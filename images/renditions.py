"""Making an image's renditions with Pillow, and naming them in storage."""

import hashlib
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as PILImage
from PIL import ImageOps

# Format → (file extension, Pillow's save options).
FORMATS = {
    "avif": ("avif", {"quality": 55, "speed": 8}),
    "webp": ("webp", {"quality": 78, "method": 4}),
    "jpeg": ("jpg", {"quality": 80, "optimize": True, "progressive": True}),
}
SOCIAL_SIZE = (1200, 630)


def rendition_name(key: str, width: int, fmt: str) -> str:
    return f"{key}-{width}.{FORMATS[fmt][0]}"


def social_name(key: str) -> str:
    return f"{key}-social.jpg"


def rendition_widths(original_width: int) -> list[int]:
    """The configured widths narrower than the original, and the original's
    own width (capped at the widest configured one): never an upscale."""
    configured = sorted(settings.IMAGE_RENDITION_WIDTHS)
    widths = [width for width in configured if width < original_width]
    widths.append(min(original_width, configured[-1]))
    return sorted(set(widths))


def _key(image) -> str:
    # Keyed on the original's name: a new file gets new names, so a cache or
    # CDN never serves an old rendition for a new picture.
    digest = hashlib.sha256(image.file.name.encode()).hexdigest()[:12]
    return f"images/renditions/{image.pk}/{digest}"


def _encode(picture: PILImage.Image, fmt: str) -> bytes:
    _, options = FORMATS[fmt]
    buffer = BytesIO()
    picture.save(buffer, format=fmt.upper(), **options)
    return buffer.getvalue()


def _save(name: str, content: bytes) -> None:
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:  # pragma: no cover - a storage that renames on write
        raise RuntimeError(f"Storage saved {name} as {saved}.")


def make_renditions(image) -> dict:
    """Write every rendition of ``image`` to storage; return what to record."""
    with image.file.open("rb") as handle:
        original = PILImage.open(handle)
        original.load()
    original = ImageOps.exif_transpose(original)
    if original.mode not in ("RGB", "L"):
        background = PILImage.new("RGB", original.size, "white")
        background.paste(original.convert("RGBA"), mask=original.convert("RGBA").split()[-1])
        original = background
    original = original.convert("RGB")
    key = _key(image)
    widths = rendition_widths(original.width)
    for width in widths:
        height = round(original.height * width / original.width)
        resized = original.resize((width, height), PILImage.Resampling.LANCZOS)
        for fmt in FORMATS:
            _save(rendition_name(key, width, fmt), _encode(resized, fmt))
    # Faces and subjects sit high more often than low: keep the upper part.
    social = ImageOps.fit(original, SOCIAL_SIZE, PILImage.Resampling.LANCZOS, centering=(0.5, 0.35))
    _save(social_name(key), _encode(social, "jpeg"))
    return {"key": key, "widths": widths, "social": True}


def delete_renditions(renditions: dict) -> None:
    key = renditions.get("key")
    if not key:
        return
    names = [rendition_name(key, w, fmt) for w in renditions.get("widths", []) for fmt in FORMATS]
    if renditions.get("social"):
        names.append(social_name(key))
    for name in names:
        default_storage.delete(name)
