"""The header's search box: on every public page, working without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.site_tour import PUBLIC_PAGES, load_whole_demo

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_public_page_has_a_search_form_that_finds_the_article(
    live_server, browser, clinic, settings
):
    load_whole_demo(settings)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    for name, path in PUBLIC_PAGES.items():
        page.goto(live_server.url + path)
        search = page.get_by_role("search", name="Site search")
        expect(search, f"no header search on the {name} page").to_have_count(1)

        search.get_by_label("Search the site").fill("trigger point")
        search.get_by_role("button", name="Search").click()

        expect(page).to_have_url(re.compile(r"/search/\?q=trigger\+point$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Search")
        first = page.get_by_role("listitem").filter(has=page.locator("mark")).first
        expect(first.get_by_role("heading")).to_contain_text("Dry needling explained")
    context.close()


def test_the_not_found_page_has_its_own_search_box(live_server, page, clinic, settings):
    load_whole_demo(settings)
    response = page.goto(live_server.url + "/no-such-page/")
    assert response.status == 404
    search = page.get_by_role("search", name="Search from this page")
    search.get_by_label("Search articles, services and conditions").fill("heel")
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=re.compile("results for “heel”"))).to_be_visible()


def test_on_a_phone_the_search_folds_into_a_button_that_opens_the_search_page(
    live_server, browser, clinic, settings
):
    load_whole_demo(settings)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/articles/")
    header_search = page.get_by_role("search", name="Site search")
    expect(header_search.get_by_label("Search the site")).to_be_hidden()
    header_search.get_by_role("button", name="Search").click()

    box = page.get_by_role("searchbox", name="Search articles, services and conditions")
    expect(box).to_be_visible()
    box.fill("trigger point")
    page.get_by_role("search", name="Search articles, services, conditions").get_by_role(
        "button", name="Search"
    ).click()
    expect(page.get_by_role("listitem").filter(has=page.locator("mark")).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth > window.innerWidth") is False
    context.close()
