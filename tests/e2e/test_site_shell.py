import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_page_is_accessible_and_skip_link_comes_first(live_server, page, clinic, axe):
    page.goto(live_server.url + "/")
    # The hero says something of its own: the header already names the clinic.
    expect(page.get_by_role("heading", level=1)).to_have_text(clinic.headline)
    assert clinic.headline not in page.locator(".site-header").inner_text()
    axe(page)

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()

    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_navigation_reaches_every_section_without_javascript(live_server, browser, clinic):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    nav = page.get_by_role("navigation", name="Main")
    for name in ["Services", "Conditions", "Articles", "Our team", "Book a session"]:
        nav.get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(nav.get_by_role("link", name=name)).to_have_attribute("aria-current", "page")
    context.close()


def test_branded_404_is_accessible(live_server, page, clinic, axe):
    response = page.goto(live_server.url + "/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
    axe(page)


def test_home_page_fits_a_phone_without_sideways_scrolling(live_server, browser, clinic):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
    expect(page.get_by_role("link", name="Book a session").first).to_be_visible()
    context.close()
