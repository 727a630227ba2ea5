"""The content pages in Chromium: reached by clicking, searched, checked by axe."""

from io import StringIO

import pytest
from playwright.sync_api import expect

from articles.demo import load as load_content
from tests.articles.conftest import ensure_demo_people
from tests.e2e.site_tour import PUBLIC_PAGES, load_whole_demo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(clinic):
    ensure_demo_people()
    load_content(stdout=StringIO())


def test_visitor_reaches_the_dry_needling_article_from_home_by_clicking(live_server, page, site):
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Articles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Articles")
    page.get_by_role("link", name="Dry needling explained: trigger points").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Dry needling explained")
    article = page.get_by_role("article")
    for heading in ["Areas we commonly treat", "The techniques we use", "Side effects and safety"]:
        expect(article.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text("not medical advice")).to_be_visible()
    expect(page.get_by_text("Medically reviewed by")).to_be_visible()
    booking = page.get_by_role("link", name="Request dry needling", exact=True)
    expect(booking).to_have_attribute("href", "/book/?treatment=dry-needling")


def test_searching_trigger_point_lists_the_dry_needling_article_first(live_server, page, site):
    page.goto(live_server.url + "/search/")
    main = page.get_by_role("main")  # the header has a search box of its own
    main.get_by_label("Search articles, services and conditions").fill("trigger point")
    main.get_by_role("button", name="Search").click()
    first = page.get_by_role("listitem").filter(has=page.locator("mark")).first
    expect(first.get_by_role("heading")).to_contain_text("Dry needling explained")
    expect(first.locator("mark").first).to_be_visible()


def test_topic_filter_and_pagination_work_without_javascript(live_server, browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/articles/")
    page.get_by_role("navigation", name="Topics").get_by_role("link", name="Exercise").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Articles about exercise")
    expect(
        page.get_by_role("link", name="Moving and stretching after dry needling")
    ).to_be_visible()
    context.close()


# One page of each public type (tests/e2e/site_tour.py); the booking steps have their own.
PAGES = PUBLIC_PAGES


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_public_page_has_no_axe_violations_and_no_console_errors(
    live_server, page, clinic, settings, axe, path
):
    load_whole_demo(settings)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    response = page.goto(live_server.url + path)
    axe(page)
    if response.status == 404:  # the browser reports the document's own status
        errors = [error for error in errors if "status of 404" not in error]
    assert errors == []


@pytest.mark.parametrize("path", ["/", "/articles/dry-needling-explained/", "/search/?q=needle"])
def test_page_fits_a_phone_without_sideways_scrolling(live_server, browser, site, path):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + path)
    assert page.evaluate("document.documentElement.scrollWidth > window.innerWidth") is False
    context.close()
