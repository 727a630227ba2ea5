"""Every public page type, as a link preview and a search engine read it."""

import io
import json

import pytest
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/",
    "/privacy/",
    "/articles/",
    "/articles/dry-needling-explained/",
    "/services/",
    "/services/dry-needling/",
    "/conditions/",
    "/conditions/shoulder-pain/",
    "/search/?q=needling",
    "/team/",
    "/team/maya-okafor/",
    "/book/",
    "/book/practitioner/?treatment=physiotherapy",
]


@pytest.fixture
def demo_with_pictures(clinic, settings, live_server):
    settings.SITE_URL = live_server.url
    settings.DEMO_IMAGES = True  # the drawn pictures, at two widths for speed
    settings.IMAGE_RENDITION_WIDTHS = [320, 640]
    call_command("load_demo", stdout=io.StringIO())


def test_every_public_page_shares_a_large_picture_and_names_its_type(
    live_server, page, demo_with_pictures, axe
):
    for path in PAGES:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path

        og_image = page.locator('meta[property="og:image"]').get_attribute("content")
        assert og_image.startswith(live_server.url + "/media/"), path
        alt = page.locator('meta[property="og:image:alt"]').get_attribute("content")
        assert alt.strip(), path
        picture = page.request.get(og_image)
        assert picture.ok, og_image
        assert picture.headers["content-type"] in {"image/png", "image/jpeg"}
        with Image.open(io.BytesIO(picture.body())) as shared:
            assert shared.width >= 1200 and shared.height >= 630, (path, shared.size)

        blocks = page.locator('script[type="application/ld+json"]').all_text_contents()
        assert blocks, f"{path} has no JSON-LD"
        for block in blocks:
            data = json.loads(block)
            types = [node["@type"] for node in data.get("@graph", [data])]
            assert all(types), path

        axe(page)


def test_pictures_load_in_the_browser_with_the_lcp_one_first(live_server, page, demo_with_pictures):
    page.goto(live_server.url + "/articles/dry-needling-explained/")
    hero = page.locator("img.article__hero")
    expect(hero).to_have_attribute("fetchpriority", "high")
    # Chromium picked one of the AVIF sources and decoded it.
    page.wait_for_function("document.querySelector('img.article__hero').complete")
    assert page.evaluate("document.querySelector('img.article__hero').naturalWidth") > 0
    assert ".avif" in page.evaluate("document.querySelector('img.article__hero').currentSrc")
    for card in page.locator("img.content-card__image").all():
        expect(card).to_have_attribute("loading", "lazy")


def test_opening_hours_never_break_inside_an_interval(live_server, browser, demo_with_pictures):
    # Both widths in one test: drawing the demo's pictures is most of its time.
    for width in (320, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(live_server.url + "/")
        intervals = page.locator(".hours__interval")
        assert intervals.count() >= 4  # the home page's and the footer's
        # One line of text is about 1.5 font sizes high; a broken interval twice that.
        heights = intervals.evaluate_all(
            "nodes => nodes.map(node => node.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(node).fontSize))"
        )
        assert max(heights) < 2, (width, heights)
        context.close()
