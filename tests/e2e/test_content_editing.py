"""Staff edit content in Chromium: revisions with a diff, restore, the live preview."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from PIL import Image as PILImage
from playwright.sync_api import expect

from articles.demo import load as load_content
from images.models import Image
from tests.articles.conftest import ensure_demo_people

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long editor password 81"
ARTICLE = "Dry needling explained: trigger points, techniques and what to expect"
PUBLIC_PATH = "/articles/dry-needling-explained/"


@pytest.fixture
def site(clinic):
    ensure_demo_people()
    load_content(stdout=StringIO())
    get_user_model().objects.create_superuser("editor", "editor@example.com", PASSWORD)


def log_in(page, live_server):
    page.goto(live_server.url + "/admin/login/?next=/admin/articles/article/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Select article to change")


def body_field(page):
    return page.get_by_role("textbox", name=re.compile(r"^Body:?$"))


def save_body(page, text):
    body_field(page).fill(text)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()


def test_staff_edit_twice_compare_revisions_restore_the_first_and_the_public_sees_it(
    live_server, page, browser, site, axe
):
    log_in(page, live_server)
    page.get_by_role("link", name=ARTICLE).click()
    original = body_field(page).input_value()
    first = original + "\n\nWarm up the calf for five minutes before a run."
    second = original + "\n\nRest the calf completely for a week."
    save_body(page, first)
    save_body(page, second)

    page.get_by_role("link", name="Revisions").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revisions of")
    axe(page)
    revisions = page.get_by_role("list").filter(has=page.get_by_text("Restore this revision"))
    edits = revisions.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=re.compile(r"^Edited"))
    )
    expect(edits).to_have_count(2)
    expect(edits.nth(0).get_by_text("Changed: body")).to_be_visible()
    expect(
        revisions.get_by_role("heading", name=re.compile(r"^Text before the first"))
    ).to_be_visible()

    first_edit = edits.nth(1)  # newest first: the second edit, then the first
    first_edit.get_by_text("Compare with the current text").click()
    diff = first_edit.locator(".revision-diff")
    expect(diff.locator("del")).to_contain_text("Warm up the calf")
    expect(diff.locator("ins")).to_contain_text("Rest the calf completely")
    axe(page)

    first_edit.get_by_role("button", name="Restore this revision").click()
    expect(page.get_by_text("Restored the revision of")).to_be_visible()
    restored = page.get_by_role("heading", name=re.compile(r"^Restored an earlier revision"))
    expect(restored).to_have_count(1)

    visitor = browser.new_context()  # no session: the page cache's own copy
    public = visitor.new_page()
    public.goto(live_server.url + PUBLIC_PATH)
    article = public.get_by_role("article")
    expect(article.get_by_text("Warm up the calf for five minutes before a run.")).to_be_visible()
    expect(article.get_by_text("Rest the calf completely")).to_have_count(0)
    visitor.close()


def test_live_preview_renders_beside_the_body_with_reading_time_and_warnings(
    live_server, page, site, axe
):
    log_in(page, live_server)
    page.get_by_role("link", name=ARTICLE).click()
    preview = page.get_by_role("region", name="Live preview: Body")
    expect(preview.get_by_text(re.compile(r"^Reading time: about \d+ minutes?\.$"))).to_be_visible()
    expect(preview.get_by_role("heading", name="Side effects and safety")).to_be_visible()
    axe(page)

    body_field(page).fill("## Warm-up\n\n#### Too deep\n\nA **brisk** walk.<script>x()</script>")
    expect(preview.get_by_role("heading", name="Warm-up")).to_be_visible()
    expect(preview.locator("strong")).to_have_text("brisk")
    expect(preview.get_by_role("listitem")).to_contain_text("level-4 heading follows a level-2")
    expect(preview.locator("script")).to_have_count(0)
    axe(page)


def test_without_javascript_the_preview_link_still_works(live_server, browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server)
    page.get_by_role("link", name=ARTICLE).click()
    expect(page.get_by_role("region", name="Live preview: Body")).to_have_count(0)
    link = page.get_by_role("link", name="Preview exactly as patients will see it")
    preview_url = link.get_attribute("href")
    page.goto(live_server.url + preview_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dry needling explained")
    context.close()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMAGE_RENDITION_WIDTHS = [160, 320, 640]


def test_staff_upload_an_image_insert_it_and_the_public_page_shows_a_responsive_picture(
    live_server, page, site, media_root, tmp_path, axe
):
    photo = tmp_path / "knee-test.png"
    PILImage.new("RGB", (900, 600), (13, 92, 85)).save(photo)
    log_in(page, live_server)
    page.goto(live_server.url + "/admin/images/image/add/")
    page.get_by_label(re.compile(r"^File")).set_input_files(photo)
    axe(page)
    page.get_by_label("Text alternative").fill("A physiotherapist testing a runner's knee")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()

    page.goto(live_server.url + "/admin/articles/article/")
    page.get_by_role("link", name=ARTICLE).click()
    body_field(page).press("Control+End")
    uploaded = Image.objects.get()
    page.get_by_label("Image from the library").first.select_option(
        label=f"A physiotherapist testing a runner's knee (#{uploaded.pk})"
    )
    page.get_by_role("button", name="Insert image").first.click()
    expect(body_field(page)).to_have_value(
        re.compile(rf"!\[A physiotherapist testing a runner's knee\]\(image:{uploaded.pk}\)\s*$")
    )
    preview = page.get_by_role("region", name="Live preview: Body")
    expect(preview.locator("picture img")).to_have_count(1)
    axe(page)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    axe(page)

    page.goto(live_server.url + PUBLIC_PATH)
    picture = page.get_by_role("article").locator("picture")
    expect(picture).to_have_count(1)
    image = picture.get_by_role("img", name="A physiotherapist testing a runner's knee")
    expect(image).to_have_attribute("width", "900")
    expect(image).to_have_attribute("height", "600")
    expect(image).to_have_attribute("loading", "lazy")
    expect(image).to_have_attribute("srcset", re.compile(r" 160w, .+ 320w, .+ 640w$"))
    expect(picture.locator("source[type='image/avif']")).to_have_count(1)
    # The rendition the browser falls back to is really served, not only named.
    fallback = page.request.get(live_server.url + image.get_attribute("src"))
    assert fallback.status == 200
    assert fallback.headers["content-type"] == "image/jpeg"
    axe(page)


ADMIN_PAGES = {
    "article list with its publication column": "/admin/articles/article/",
    "broken internal links": "/admin/articles/article/links/",
    "service page editing": "/admin/articles/servicepage/{service}/change/",
    "condition page editing": "/admin/articles/conditionpage/{condition}/change/",
    "service page revisions": "/admin/articles/servicepage/{service}/revisions/",
    "old addresses": "/admin/articles/contentredirect/",
}


@pytest.mark.parametrize("path", ADMIN_PAGES.values(), ids=ADMIN_PAGES.keys())
def test_content_admin_pages_have_no_axe_violations(live_server, page, site, axe, path):
    from articles.models import ConditionPage, ServicePage

    log_in(page, live_server)
    ids = {
        "service": ServicePage.objects.get(slug="dry-needling").pk,
        "condition": ConditionPage.objects.get(slug="heel-pain").pk,
    }
    page.goto(live_server.url + path.format(**ids))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe(page)
