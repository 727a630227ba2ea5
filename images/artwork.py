"""Illustrations the project draws itself with Pillow, for the demo clinic.

No stock photos: portraits, a treatment room and body figures in the brand's
colours (settings.IMAGE_COLOURS, which the project takes from clinic/brand.py),
drawn at twice the size and scaled down so that edges are smooth. Staff
replace them with real photos in the image library.
"""

from django.conf import settings
from PIL import Image, ImageDraw, ImageFilter

SCALE = 2
SAND = "#f4ead9"
PEACH = "#f3c7a2"
WOOD = "#c99a6b"
SKY = "#cfe6f2"
LEAF = "#4f8f6b"
LEAF_DARK = "#2f6b4d"


def brand_colour(name: str) -> str:
    """One of the colours the library draws with: the site's brand (settings.IMAGE_COLOURS)."""
    return settings.IMAGE_COLOURS[name]


def _canvas(size: tuple[int, int], top: str, bottom: str) -> tuple[Image.Image, ImageDraw.Draw]:
    width, height = size[0] * SCALE, size[1] * SCALE
    image = Image.new("RGB", (width, height), top)
    draw = ImageDraw.Draw(image)
    top_rgb, bottom_rgb = _rgb(top), _rgb(bottom)
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top_rgb, bottom_rgb, strict=True)),
        )
    return image, draw


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))


def _finish(image: Image.Image) -> Image.Image:
    return image.resize((image.width // SCALE, image.height // SCALE), Image.Resampling.LANCZOS)


def _s(*values: float) -> list[float]:
    return [value * SCALE for value in values]


def _limb(draw, points, width, fill):
    scaled = [(x * SCALE, y * SCALE) for x, y in points]
    draw.line(scaled, fill=fill, width=round(width * SCALE), joint="curve")
    radius = width * SCALE / 2
    for x, y in (scaled[0], scaled[-1]):
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill)


def _leaf(draw, x, y, w, h, fill, angle=0):
    leaf = Image.new("RGBA", (round(w * SCALE), round(h * SCALE)), (0, 0, 0, 0))
    ImageDraw.Draw(leaf).ellipse([0, 0, leaf.width - 1, leaf.height - 1], fill=fill)
    leaf = leaf.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    return leaf, (round(x * SCALE - leaf.width / 2), round(y * SCALE - leaf.height / 2))


def _plant(image, draw, x, base_y, height):
    draw.rounded_rectangle(_s(x - 50, base_y - 90, x + 50, base_y), radius=14 * SCALE, fill=WOOD)
    for index, angle in enumerate((-50, -25, 0, 25, 50, -38, 38)):
        leaf, position = _leaf(
            draw,
            x + angle * 1.6,
            base_y - 90 - height * (0.3 + 0.08 * (index % 3)),
            42,
            height * 0.55,
            LEAF if index % 2 else LEAF_DARK,
            angle=-angle,
        )
        image.paste(leaf, position, leaf)


def portrait(*, shirt: str, skin: str, hair: str, hair_style: str, backdrop: str) -> Image.Image:
    """A head-and-shoulders portrait illustration, 900×900."""
    image, draw = _canvas((900, 900), backdrop, brand_colour("soft"))
    draw.ellipse(_s(130, 110, 770, 750), fill=_rgb(brand_colour("line")))
    # Shoulders and neck.
    draw.rounded_rectangle(_s(190, 640, 710, 1000), radius=220 * SCALE, fill=shirt)
    draw.rounded_rectangle(_s(395, 500, 505, 680), radius=40 * SCALE, fill=skin)
    draw.polygon(_s(380, 640, 450, 730, 520, 640), fill=skin)
    # Hair behind the head.
    if hair_style == "long":
        draw.rounded_rectangle(_s(285, 240, 615, 640), radius=150 * SCALE, fill=hair)
    if hair_style == "bun":
        draw.ellipse(_s(385, 150, 515, 270), fill=hair)
    # Head and ears.
    draw.ellipse(_s(312, 340, 346, 420), fill=skin)
    draw.ellipse(_s(554, 340, 588, 420), fill=skin)
    draw.ellipse(_s(325, 220, 575, 560), fill=skin)
    # Hair on top.
    if hair_style in ("long", "bun"):
        draw.chord(_s(312, 205, 588, 470), 180, 360, fill=hair)
    else:
        draw.chord(_s(315, 200, 585, 430), 170, 370, fill=hair)
    # A calm face: eyes and a smile.
    for x in (400, 500):
        draw.ellipse(_s(x - 11, 380, x + 11, 402), fill=brand_colour("ink"))
    draw.arc(_s(405, 420, 495, 480), 20, 160, fill=brand_colour("ink"), width=7 * SCALE)
    # Collar.
    draw.polygon(_s(360, 650, 450, 735, 400, 760, 330, 680), fill=brand_colour("surface"))
    draw.polygon(_s(540, 650, 450, 735, 500, 760, 570, 680), fill=brand_colour("surface"))
    return _finish(image)


def treatment_room() -> Image.Image:
    """The treatment room: window, couch, plant and shelf, 1600×900."""
    image, draw = _canvas((1600, 900), brand_colour("soft"), "#dcebe7")
    # Floor.
    draw.rectangle(_s(0, 690, 1600, 900), fill=SAND)
    draw.line(_s(0, 690, 1600, 690), fill=WOOD, width=6 * SCALE)
    # Window with light.
    draw.rounded_rectangle(_s(180, 120, 620, 520), radius=18 * SCALE, fill=brand_colour("surface"))
    view = Image.new("RGB", (390 * SCALE, 350 * SCALE), SKY)
    view_draw = ImageDraw.Draw(view)
    view_draw.ellipse(_s(255, 45, 355, 145), fill="#fff4d6")
    view_draw.ellipse(_s(-60, 250, 300, 520), fill=LEAF)
    view_draw.ellipse(_s(170, 280, 520, 520), fill=LEAF_DARK)
    image.paste(view, (205 * SCALE, 145 * SCALE))
    draw.rectangle(_s(395, 145, 405, 495), fill=brand_colour("surface"))
    draw.rectangle(_s(205, 315, 595, 325), fill=brand_colour("surface"))
    draw.rounded_rectangle(_s(160, 510, 640, 535), radius=8 * SCALE, fill=brand_colour("surface"))
    # Shelf with rolled towels.
    draw.rounded_rectangle(_s(930, 240, 1400, 262), radius=8 * SCALE, fill=WOOD)
    for index, colour in enumerate(
        (brand_colour("surface"), PEACH, brand_colour("surface"), PEACH)
    ):
        x = 960 + index * 100
        draw.ellipse(_s(x, 170, x + 80, 242), fill=colour)
        draw.ellipse(_s(x + 26, 194, x + 54, 220), fill=brand_colour("line"))
    # Treatment couch.
    draw.rounded_rectangle(_s(760, 520, 1420, 590), radius=30 * SCALE, fill=brand_colour("brand"))
    draw.rounded_rectangle(
        _s(1300, 490, 1430, 545), radius=26 * SCALE, fill=brand_colour("brand-dark")
    )
    draw.rounded_rectangle(_s(800, 585, 1380, 610), radius=10 * SCALE, fill="#9fb4b0")
    for x in (830, 1330):
        draw.rectangle(_s(x, 605, x + 22, 760), fill="#7d918d")
        draw.rounded_rectangle(_s(x - 30, 752, x + 52, 770), radius=8 * SCALE, fill="#7d918d")
    # A folded towel on the couch.
    draw.rounded_rectangle(_s(900, 498, 1080, 528), radius=12 * SCALE, fill=brand_colour("surface"))
    # Plant.
    _plant(image, draw, 1500, 780, 340)
    # Soft shadow under the couch.
    shadow = Image.new("L", image.size, 0)
    ImageDraw.Draw(shadow).ellipse(_s(740, 755, 1450, 800), fill=70)
    shadow = shadow.filter(ImageFilter.GaussianBlur(18 * SCALE))
    image.paste(Image.new("RGB", image.size, "#b7a487"), (0, 0), shadow)
    return _finish(image)


# Where each area sits on the figure drawn by body_figure().
AREAS = {
    "neck": (1080, 250),
    "shoulder": (990, 300),
    "back": (1080, 440),
    "hip": (1030, 560),
    "heel": (1125, 845),
    "knee": (1020, 700),
}


def body_figure(*, area: str, motif: str = "") -> Image.Image:
    """A standing figure with one area highlighted, 1600×900.

    ``motif``: "needles", "band", "waves" or "points", for a treatment.
    """
    image, draw = _canvas((1600, 900), brand_colour("soft"), "#dcebe7")
    draw.ellipse(_s(760, 90, 1400, 730), fill=_rgb(brand_colour("line")))
    draw.rectangle(_s(0, 860, 1600, 900), fill=SAND)
    _plant(image, draw, 300, 860, 380)
    skin, shirt, trousers = PEACH, brand_colour("brand"), brand_colour("brand-dark")
    # Legs, body, arms, head.
    _limb(draw, [(1040, 560), (1030, 700), (1010, 840)], 58, trousers)
    _limb(draw, [(1120, 560), (1130, 700), (1125, 840)], 58, trousers)
    draw.rounded_rectangle(_s(985, 270, 1175, 590), radius=70 * SCALE, fill=shirt)
    _limb(draw, [(1000, 310), (930, 430), (905, 540)], 44, shirt)
    _limb(draw, [(1160, 310), (1230, 430), (1255, 540)], 44, shirt)
    draw.ellipse(_s(888, 525, 924, 565), fill=skin)
    draw.ellipse(_s(1237, 525, 1273, 565), fill=skin)
    draw.rounded_rectangle(_s(1058, 215, 1102, 285), radius=14 * SCALE, fill=skin)
    draw.ellipse(_s(1020, 110, 1140, 240), fill=skin)
    draw.chord(_s(1016, 104, 1144, 200), 180, 360, fill=brand_colour("ink"))
    for x, y in ((990, 858), (1140, 858)):
        draw.rounded_rectangle(_s(x - 30, y - 16, x + 40, y + 8), radius=10 * SCALE, fill="#6b4b33")
    # The highlighted area: a warm glow with rings.
    x, y = AREAS[area]
    glow = Image.new("L", image.size, 0)
    ImageDraw.Draw(glow).ellipse(_s(x - 70, y - 70, x + 70, y + 70), fill=170)
    glow = glow.filter(ImageFilter.GaussianBlur(20 * SCALE))
    image.paste(Image.new("RGB", image.size, brand_colour("focus")), (0, 0), glow)
    draw = ImageDraw.Draw(image)
    for radius in (44, 74):
        draw.ellipse(
            _s(x - radius, y - radius, x + radius, y + radius),
            outline=brand_colour("focus"),
            width=5 * SCALE,
        )
    _motif(draw, motif, x, y)
    return _finish(image)


def _motif(draw, motif: str, x: float, y: float) -> None:
    if motif == "needles":
        for dx, dy in ((-40, -20), (0, -36), (40, -16)):
            _limb(draw, [(x + dx, y + dy), (x + dx * 2.2, y + dy - 120)], 5, "#8a979c")
            draw.ellipse(
                _s(x + dx * 2.2 - 11, y + dy - 131, x + dx * 2.2 + 11, y + dy - 109),
                fill=brand_colour("brand-dark"),
            )
    elif motif == "band":
        draw.arc(
            _s(x - 260, y - 140, x + 260, y + 240),
            200,
            340,
            fill=brand_colour("focus"),
            width=16 * SCALE,
        )
    elif motif == "waves":
        for offset in (-150, -110, -70):
            draw.arc(
                _s(x + offset - 60, y - 60, x + offset + 60, y + 60),
                120,
                240,
                fill=brand_colour("brand-dark"),
                width=9 * SCALE,
            )
    elif motif == "points":
        for dx, dy in ((-120, -60), (-150, 20), (-110, 90), (130, -40), (150, 50)):
            draw.ellipse(
                _s(x + dx - 12, y + dy - 12, x + dx + 12, y + dy + 12),
                fill=brand_colour("brand-dark"),
            )


def logo_mark(size: int) -> Image.Image:
    """The logo's mark (static/img/logo-mark.svg) as a transparent PNG image."""
    scale = size * 4 / 64
    mark = Image.new("RGBA", (size * 4, size * 4), (0, 0, 0, 0))
    draw = ImageDraw.Draw(mark)
    draw.ellipse([0, 0, mark.width - 1, mark.height - 1], fill=brand_colour("brand"))
    white = "#ffffff"
    draw.ellipse([27 * scale, 13 * scale, 37 * scale, 41 * scale], fill=white)
    for cx, angle in ((21.5, 50), (42.5, -50)):
        leaf = Image.new("RGBA", (round(9 * scale), round(22 * scale)), (0, 0, 0, 0))
        ImageDraw.Draw(leaf).ellipse([0, 0, leaf.width - 1, leaf.height - 1], fill=white)
        leaf = leaf.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
        mark.alpha_composite(
            leaf, (round(cx * scale - leaf.width / 2), round(35 * scale - leaf.height / 2))
        )
    draw.rounded_rectangle(
        [30.5 * scale, 40 * scale, 33.5 * scale, 54 * scale], radius=1.5 * scale, fill=white
    )
    return mark.resize((size, size), Image.Resampling.LANCZOS)
