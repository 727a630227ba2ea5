from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

pytestmark = pytest.mark.django_db

IMG = Path(settings.BASE_DIR) / "static" / "img"


def test_every_page_shows_the_logo_mark_beside_the_clinics_name(client, clinic):
    html = client.get("/").content.decode()
    mark = (IMG / "logo-mark.svg").read_text().strip()
    shapes = mark[mark.index(">") + 1 : mark.rindex("</svg>")]
    # Drawn in the page (no request of its own), hidden from screen readers
    # since the name beside it says the same, with the shapes of the logo file.
    assert '<svg class="site-brand__mark" aria-hidden="true"' in html
    assert shapes in html
    assert f'<span class="site-brand__name">{clinic.name}</span>' in html


def test_the_favicon_is_the_logo_mark():
    assert (IMG / "favicon.svg").read_text() == (IMG / "logo-mark.svg").read_text()


def test_the_mail_logo_is_a_transparent_png_at_twice_its_shown_size():
    with Image.open(IMG / "logo-mail.png") as logo:
        assert logo.format == "PNG"
        assert logo.size == (96, 96)
        assert logo.mode == "RGBA"
        assert logo.getpixel((0, 0))[3] == 0  # the corner outside the circle
