"""Social cards: the 1200×630 picture a shared page shows.

A page with a lead image shares that image's 1200×630 crop. A page without
one gets a card drawn here: its title on the brand's colour with the logo.
Each card is drawn once and kept in Django's default storage under a name
made from a hash of what it shows, so a changed title makes a new card and
an unchanged one is never drawn again.
"""

import hashlib
import textwrap
from io import BytesIO

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont

from images.artwork import brand_colour, logo_mark
from images.renditions import SOCIAL_SIZE

# Change it when the drawing changes, so every card is drawn again.
CARD_VERSION = 1
CACHE_SECONDS = 60 * 60 * 24


def card_name(*, title: str, site_name: str) -> str:
    digest = hashlib.sha256(f"{CARD_VERSION}\n{site_name}\n{title}".encode()).hexdigest()
    return f"social/{digest[:24]}.png"


def social_card_url(*, title: str, site_name: str) -> str:
    """The storage URL of the card for ``title``, drawn now if it is new."""
    name = card_name(title=title, site_name=site_name)
    key = f"social-card:{name}"
    if cache.get(key):
        return default_storage.url(name)
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(draw_card(title=title, site_name=site_name)))
    cache.set(key, True, CACHE_SECONDS)
    return default_storage.url(name)


def _font(size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(settings.SOCIAL_CARD_FONT, size)
    except OSError:
        return ImageFont.load_default(size)


def _wrap(draw, text: str, font, width: int) -> list[str]:
    average = max(1, round(draw.textlength("abcdefghij", font=font) / 10))
    lines = textwrap.wrap(text, width=max(8, width // average))
    while lines and any(draw.textlength(line, font=font) > width for line in lines):
        average += 1
        lines = textwrap.wrap(text, width=max(8, width // average))
    return lines


def draw_card(*, title: str, site_name: str) -> bytes:
    width, height = SOCIAL_SIZE
    card = Image.new("RGB", SOCIAL_SIZE, brand_colour("brand"))
    draw = ImageDraw.Draw(card)
    # A quiet shape on the right, in the darker brand colour.
    draw.ellipse([820, -160, 1440, 460], fill=brand_colour("brand-dark"))
    draw.ellipse([940, 330, 1360, 750], fill=brand_colour("brand-dark"))
    # The mark on a white disc, and the clinic's name.
    draw.ellipse([72, 64, 184, 176], fill=brand_colour("surface"))
    mark = logo_mark(104)
    card.paste(mark, (76, 68), mark)
    draw.text((212, 120), site_name, font=_font(38), fill=brand_colour("surface"), anchor="lm")
    # The title: as large as fits in three lines.
    for size in (76, 66, 58, 50, 44):
        font = _font(size)
        lines = _wrap(draw, title, font, width - 160)
        if len(lines) <= 3:
            break
    else:
        lines = lines[:3]
        lines[-1] = lines[-1].rstrip(" .,;:") + "…"
    y = 250 if len(lines) < 3 else 230
    for line in lines:
        draw.text((80, y), line, font=font, fill=brand_colour("surface"))
        y += round(size * 1.22)
    draw.rectangle([80, height - 56, 200, height - 48], fill=brand_colour("soft"))
    buffer = BytesIO()
    card.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
