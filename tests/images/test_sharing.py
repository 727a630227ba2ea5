"""Every public page shares its own title, description and a 1200×630 picture."""

import io
import re
from html import unescape

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image as PILImage

from articles.models import Article
from booking.models import Practitioner
from images import social
from images.services import image_create
from tests.images.conftest import make_upload

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/privacy/",
    "/articles/",
    "/articles/dry-needling-explained/",
    "/services/",
    "/services/dry-needling/",
    "/conditions/",
    "/conditions/shoulder-pain/",
    "/search/",
    "/team/",
    "/team/maya-okafor/",
    "/book/",
    "/book/?practitioner=maya-okafor",
]


@pytest.fixture
def demo(clinic, settings):
    settings.SITE_URL = "https://clinic.example"
    call_command("load_demo", stdout=io.StringIO())


def meta(html: str) -> dict[str, str]:
    found = {}
    for tag in re.findall(r"<meta [^>]+>", html):
        key = re.search(r'(?:property|name)="([^"]+)"', tag)
        value = re.search(r'content="([^"]*)"', tag)
        if key and value:
            found.setdefault(key.group(1), unescape(value.group(1)))
    return found


def stored_image(url: str) -> PILImage.Image:
    name = url.removeprefix("https://clinic.example/media/")
    with default_storage.open(name) as handle:
        picture = PILImage.open(handle)
        picture.load()
    return picture


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_its_own_sharing_tags_and_picture(client, demo, path):
    response = client.get(path)
    assert response.status_code == 200
    tags = meta(response.content.decode())
    for key in ("og:title", "og:description", "og:image", "og:image:alt", "twitter:card"):
        assert tags.get(key), f"{path} has no {key}"
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image"].startswith("https://clinic.example/media/")
    assert tags["twitter:image"] == tags["og:image"]
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert stored_image(tags["og:image"]).size == (1200, 630)


def test_team_practitioner_privacy_and_booking_pages_do_not_share_the_clinics_generic_text(
    client, demo, clinic
):
    generic = meta(client.get("/").content.decode())
    for path in ("/team/", "/team/maya-okafor/", "/privacy/", "/book/"):
        tags = meta(client.get(path).content.decode())
        assert tags["og:title"] != generic["og:title"], path
        assert tags["og:description"] != generic["og:description"], path
        assert tags["og:image"] != generic["og:image"], path
    maya = Practitioner.objects.get(slug="maya-okafor")
    tags = meta(client.get(maya.get_absolute_url()).content.decode())
    assert tags["og:title"] == f"{maya.name}, {maya.role}"


def test_booking_started_with_a_practitioner_shares_its_own_title_and_address(client, demo, clinic):
    maya = Practitioner.objects.get(slug="maya-okafor")
    general = meta(client.get("/book/").content.decode())
    html = client.get("/book/?practitioner=maya-okafor").content.decode()
    tags = meta(html)

    assert tags["og:title"] == f"Book with {maya.name} at {clinic.name}"
    assert tags["og:url"] == "http://testserver/book/?practitioner=maya-okafor"
    assert tags["og:image"] != general["og:image"]
    assert f"<title>Book with {maya.name} · {clinic.name}</title>" in html
    assert 'rel="canonical" href="http://testserver/book/?practitioner=maya-okafor"' in html
    # Anything else after ?practitioner= is the general page, shared as such.
    unknown = meta(client.get("/book/?practitioner=nobody%00").content.decode())
    assert unknown["og:title"] == general["og:title"]


def test_a_page_with_a_lead_image_shares_its_crop_with_its_alt_text(client, demo):
    article = Article.objects.get(slug="dry-needling-explained")
    article.lead_image = image_create(file=make_upload(size=(900, 600)), alt_text="Needles")
    article.save()
    tags = meta(client.get(article.get_absolute_url()).content.decode())
    assert tags["og:image"].endswith("-social.jpg")
    assert tags["og:image:alt"] == "Needles"
    assert tags["og:image:type"] == "image/jpeg"


def test_a_practitioners_photo_is_shared_from_their_page(client, demo):
    maya = Practitioner.objects.get(slug="maya-okafor")
    maya.photo = image_create(file=make_upload(size=(600, 600)), alt_text="Maya Okafor")
    maya.save()
    tags = meta(client.get(maya.get_absolute_url()).content.decode())
    assert tags["og:image"].endswith("-social.jpg")
    assert stored_image(tags["og:image"]).size == (1200, 630)


def test_a_card_is_drawn_once_per_title_and_again_when_the_title_changes(monkeypatch):
    drawn = []
    real_draw = social.draw_card
    monkeypatch.setattr(
        social, "draw_card", lambda **kwargs: drawn.append(kwargs) or real_draw(**kwargs)
    )
    title = "Knee pain"
    first = social.social_card_url(title=title, site_name="Willow Lane")
    again = social.social_card_url(title=title, site_name="Willow Lane")
    renamed = social.social_card_url(title=title + " in runners", site_name="Willow Lane")
    assert first == again != renamed
    assert [call["title"] for call in drawn] == [title, title + " in runners"]


def test_a_card_shows_the_title_on_the_brand_colour():
    card = PILImage.open(io.BytesIO(social.draw_card(title="Heel pain", site_name="Willow Lane")))
    assert card.size == (1200, 630)
    assert card.convert("RGB").getpixel((40, 600)) == (0x0D, 0x5C, 0x55)  # brand
    # White title text somewhere in its band.
    band = card.convert("RGB").crop((80, 250, 700, 340))
    assert (255, 255, 255) in {colour for _, colour in band.getcolors(1 << 16)}


def test_a_page_still_renders_when_storage_refuses_the_card(client, clinic, monkeypatch):
    def refuse(**kwargs):
        raise OSError("read-only file system")

    monkeypatch.setattr("images.rendering.social_card_url", refuse)
    response = client.get("/privacy/")
    assert response.status_code == 200
    assert "og:image" not in response.content.decode()
