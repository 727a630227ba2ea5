"""The demo's pictures: drawn by images/artwork.py, put in the library once.

Booking's and the content's demo loaders ask for them by a fixed name when
they create a practitioner or a page; an image already in the library is
reused, never drawn again. With DEMO_IMAGES off (the test suite) no image is
made and pages show their generated social card instead.
"""

from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from images import artwork
from images.models import Image
from images.services import image_save

# Shown under the picture where the site shows a credit; a real photo gets its own.
CREDIT = "Illustration made for the demo clinic"

PORTRAITS = {
    "maya-okafor": {
        "shirt": "#0d5c55",
        "skin": "#8d5524",
        "hair": "#1b120c",
        "hair_style": "long",
        "backdrop": "#eef6f4",
    },
    "tom-lindqvist": {
        "shirt": "#083f3a",
        "skin": "#f1c6a0",
        "hair": "#b07a3c",
        "hair_style": "short",
        "backdrop": "#f4ead9",
    },
    "aisha-rahman": {
        "shirt": "#b8460b",
        "skin": "#c68642",
        "hair": "#2b1d14",
        "hair_style": "bun",
        "backdrop": "#eef6f4",
    },
}

# Slug → (area, motif, text alternative) of a body figure; "room" is the room.
ROOM_ALT = "Drawing of our treatment room: a couch, a window and a plant"
ILLUSTRATIONS = {
    "room": None,
    "dry-needling": (
        "shoulder",
        "needles",
        "Drawing of a person with fine needles at the shoulder",
    ),
    "physiotherapy": ("knee", "band", "Drawing of a person exercising the knee with a band"),
    "massage-therapy": ("back", "waves", "Drawing of a person with the back being massaged"),
    "acupuncture": ("neck", "points", "Drawing of a person with acupuncture points at the neck"),
    "shoulder-pain": ("shoulder", "", "Drawing of a person with the shoulder highlighted"),
    "neck-pain": ("neck", "", "Drawing of a person with the neck highlighted"),
    "back-pain": ("back", "", "Drawing of a person with the lower back highlighted"),
    "heel-pain": ("heel", "", "Drawing of a person with the heel highlighted"),
    "hip-pain": ("hip", "", "Drawing of a person with the hip highlighted"),
}


def _png(picture) -> bytes:
    buffer = BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# The drawings are the same every time; a process that loads the demo more than
# once (the test suite does) draws each one once.
_drawn: dict[str, bytes] = {}


def _drawing(name: str, draw) -> bytes:
    if name not in _drawn:
        _drawn[name] = _png(draw())
    return _drawn[name]


def _library_image(name: str, draw, alt_text: str) -> Image | None:
    if not settings.DEMO_IMAGES:
        return None
    path = f"images/demo/{name}.png"
    image = Image.objects.filter(file=path).first()
    if image is not None:
        return image
    if default_storage.exists(path):
        default_storage.delete(path)  # left by an earlier database
    default_storage.save(path, ContentFile(_drawing(name, draw)))
    image = Image(file=path, alt_text=alt_text, credit=CREDIT)
    return image_save(image=image)


def portrait(slug: str, name: str) -> Image | None:
    style = PORTRAITS.get(slug)
    if style is None:
        return None
    return _library_image(
        f"portrait-{slug}",
        lambda: artwork.portrait(**style),
        f"Illustrated portrait of {name}",
    )


def illustration(slug: str) -> Image | None:
    if slug not in ILLUSTRATIONS:
        return None
    spec = ILLUSTRATIONS[slug]
    if spec is None:
        return _library_image(slug, artwork.treatment_room, ROOM_ALT)
    area, motif, alt_text = spec
    return _library_image(
        f"figure-{slug}", lambda: artwork.body_figure(area=area, motif=motif), alt_text
    )
