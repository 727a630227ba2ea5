"""Reading on a phone (issue 24): from an article to booking, its contents and the search.

On a 390×844 phone the article's booking card comes within a screen of its title,
"On this page" is a folded list above the text, and the header's Search gives a
focused search box in one tap, with JavaScript or without.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.site_tour import load_whole_demo

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ARTICLE = "/articles/dry-needling-explained/"
MIN_TARGET = 44  # px, each side, for what a thumb presses on a phone
# "Request" when the clinic confirms the treatment first, else "Book".
BOOK_THIS_TREATMENT = re.compile(r"^(Book|Request) this treatment$")


@pytest.fixture
def demo(clinic, settings):
    """The demo as a visitor sees it: with its lead pictures, which take a phone's first screen."""
    settings.DEMO_IMAGES = True
    settings.IMAGE_RENDITION_WIDTHS = [320, 640]  # two widths are enough, and quicker
    load_whole_demo(settings)


@pytest.fixture
def phone(browser):
    """A phone with a touch screen; JavaScript on."""
    context = browser.new_context(viewport=PHONE, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_without_javascript(browser):
    context = browser.new_context(viewport=PHONE, has_touch=True, java_script_enabled=False)
    yield context.new_page()
    context.close()


def assert_thumb_sized(locator) -> None:
    box = locator.bounding_box()
    assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, box


def booking_links(page):
    """The links in the page's main content that lead into the booking pages, top first."""
    found = []
    for link in page.get_by_role("main").get_by_role("link").all():
        if urlsplit(link.get_attribute("href") or "").path.startswith("/book/"):
            box = link.bounding_box()
            if box and link.is_visible():
                found.append((box["y"], link))
    return [link for _, link in sorted(found, key=lambda pair: pair[0])]


# --- the booking card ----------------------------------------------------------


def test_on_a_phone_the_articles_first_booking_link_is_within_a_screen_of_its_title(
    live_server, phone, demo
):
    phone.goto(live_server.url + ARTICLE)
    title = phone.get_by_role("heading", level=1).bounding_box()

    first = booking_links(phone)[0]
    expect(first).to_have_text(BOOK_THIS_TREATMENT)
    expect(first).to_have_attribute("href", "/book/?treatment=dry-needling")
    box = first.bounding_box()
    title_end = title["y"] + title["height"]
    assert box["y"] + box["height"] - title_end <= PHONE["height"], (
        f"the first booking link is {box['y']:.0f} px down, the title ends at {title_end:.0f}"
    )
    assert_thumb_sized(first)

    first.tap()
    # The booking pages, with the treatment chosen (they may go on to its next step).
    expect(phone).to_have_url(re.compile(r"/book/[\w/]*\?treatment=dry-needling"))


def test_every_article_with_a_booking_card_shows_it_within_a_screen_of_its_title(
    live_server, phone, demo
):
    phone.goto(live_server.url + "/articles/")
    cards = phone.get_by_role("main").get_by_role("listitem").get_by_role("heading")
    addresses = {link.get_attribute("href") for link in cards.get_by_role("link").all()}
    assert len(addresses) >= 3
    for address in sorted(addresses):
        phone.goto(live_server.url + address)
        card = phone.get_by_role("region", name=re.compile(".+")).filter(
            has=phone.get_by_role("link", name=BOOK_THIS_TREATMENT)
        )
        expect(card, address).to_have_count(1)
        title = phone.get_by_role("heading", level=1).bounding_box()
        action = card.get_by_role("link").bounding_box()
        distance = action["y"] + action["height"] - (title["y"] + title["height"])
        assert distance <= PHONE["height"], f"{address}: {distance:.0f} px below the title"


def test_on_a_phone_a_service_pages_booking_button_is_within_a_screen_of_its_title(
    live_server, phone, demo
):
    phone.goto(live_server.url + "/services/dry-needling/")
    title = phone.get_by_role("heading", level=1).bounding_box()
    first = booking_links(phone)[0]
    expect(first).to_have_text(BOOK_THIS_TREATMENT)
    box = first.bounding_box()
    assert box["y"] + box["height"] - (title["y"] + title["height"]) <= PHONE["height"]
    expect(first).to_be_in_viewport(ratio=1)  # whole, above the picture


# --- "On this page" ------------------------------------------------------------


def test_on_a_phone_on_this_page_is_folded_above_the_text_and_opens_without_javascript(
    live_server, phone_without_javascript, demo
):
    page = phone_without_javascript
    page.goto(live_server.url + ARTICLE)
    contents = page.get_by_role("navigation", name="On this page")
    expect(contents).to_have_count(1)  # the desktop sidebar's list is not shown too
    section = contents.get_by_role("link", name="What is a trigger point?")
    expect(section).to_be_hidden()  # folded

    first_heading = page.get_by_role("heading", name="What is a trigger point?", level=2)
    folded = contents.bounding_box()
    body_starts = page.get_by_text("Dry needling and acupuncture look alike").bounding_box()
    assert folded["y"] + folded["height"] <= body_starts["y"], "On this page is below the text"
    assert folded["y"] < first_heading.bounding_box()["y"]

    opener = contents.get_by_text("On this page", exact=True)
    assert_thumb_sized(opener)
    opener.tap()
    expect(section).to_be_visible()
    expect(contents.get_by_role("listitem")).to_have_count(7)
    assert_thumb_sized(section)

    section.tap()
    expect(page).to_have_url(re.compile(r"#section-what-is-a-trigger-point$"))
    expect(first_heading).to_be_in_viewport()


def test_on_a_desktop_the_sidebar_lists_the_contents_unfolded_beside_the_text(
    live_server, browser, demo
):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(live_server.url + ARTICLE)
    contents = page.get_by_role("navigation", name="On this page")
    expect(contents).to_have_count(1)
    expect(contents.get_by_role("heading", name="On this page")).to_be_visible()
    expect(contents.get_by_role("link", name="What is a trigger point?")).to_be_visible()
    booking = page.get_by_role("link", name=BOOK_THIS_TREATMENT)
    body = page.get_by_text("Dry needling and acupuncture look alike")
    # A column of its own, to the right of the text, in the first screen.
    assert contents.bounding_box()["x"] > body.bounding_box()["x"] + body.bounding_box()["width"]
    expect(booking).to_be_in_viewport()
    context.close()


# --- the header's search -------------------------------------------------------


def test_on_a_phone_one_tap_on_search_focuses_the_headers_box_and_it_searches(
    live_server, phone, demo
):
    phone.goto(live_server.url + ARTICLE)
    header_search = phone.get_by_role("search", name="Site search")
    box = header_search.get_by_role("searchbox", name="Search the site")
    button = header_search.get_by_role("button", name="Search")
    expect(box).to_be_hidden()
    assert_thumb_sized(button)

    button.tap()
    expect(box).to_be_focused()
    expect(box).to_be_in_viewport(ratio=1)
    assert_thumb_sized(box)
    assert phone.evaluate("document.documentElement.scrollWidth > window.innerWidth") is False

    # Escape folds it away again, back to the button.
    box.press("Escape")
    expect(box).to_be_hidden()
    expect(button).to_be_focused()

    button.tap()
    box.fill("trigger point")
    box.press("Enter")
    expect(phone).to_have_url(re.compile(r"/search/\?q=trigger\+point$"))
    first = phone.get_by_role("listitem").filter(has=phone.locator("mark")).first
    expect(first.get_by_role("heading")).to_contain_text("Dry needling explained")


def test_without_javascript_one_tap_on_search_opens_the_search_page_with_its_box_focused(
    live_server, phone_without_javascript, demo
):
    page = phone_without_javascript
    page.goto(live_server.url + ARTICLE)
    page.get_by_role("search", name="Site search").get_by_role("button", name="Search").tap()

    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    box = page.get_by_role("searchbox", name="Search articles, services and conditions")
    expect(box).to_be_focused()
    expect(box).to_be_in_viewport(ratio=1)
    assert_thumb_sized(box)
    assert_thumb_sized(page.get_by_role("main").get_by_role("button", name="Search"))

    box.fill("trigger point")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=trigger\+point$"))
    first = page.get_by_role("listitem").filter(has=page.locator("mark")).first
    expect(first.get_by_role("heading")).to_contain_text("Dry needling explained")
    # With results to read, the box no longer takes the focus.
    expect(box).not_to_be_focused()


def test_the_empty_search_page_focuses_a_labelled_box_and_offers_where_to_browse(
    live_server, phone_without_javascript, demo
):
    page = phone_without_javascript
    page.goto(live_server.url + "/search/")
    box = page.get_by_role("searchbox", name="Search articles, services and conditions")
    expect(box).to_be_focused()
    expect(box).to_have_accessible_description(re.compile("in your own words"))
    browse = page.get_by_role("region", name="Or browse")
    for name in ["Services", "Conditions", "Articles"]:
        link = browse.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        assert_thumb_sized(link)
    browse.get_by_role("link", name="Conditions", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conditions")


# --- axe -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewport", "path"),
    [
        (PHONE, ARTICLE),
        (DESKTOP, ARTICLE),
        (PHONE, "/services/dry-needling/"),
        (PHONE, "/search/"),
        (DESKTOP, "/search/"),
        (PHONE, "/search/?q=trigger+point"),
        (DESKTOP, "/search/?q=trigger+point"),
    ],
    ids=[
        "article-phone",
        "article-desktop",
        "service-phone",
        "search-empty-phone",
        "search-empty-desktop",
        "search-query-phone",
        "search-query-desktop",
    ],
)
def test_reading_pages_have_no_axe_violations(live_server, browser, demo, axe, viewport, path):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(live_server.url + path)
    axe(page)
    context.close()


def test_article_on_a_phone_with_its_contents_and_the_headers_box_open_has_no_axe_violations(
    live_server, phone, demo, axe
):
    phone.goto(live_server.url + ARTICLE)
    phone.get_by_role("navigation", name="On this page").get_by_text("On this page").tap()
    phone.get_by_role("search", name="Site search").get_by_role("button", name="Search").tap()
    expect(phone.get_by_role("searchbox", name="Search the site")).to_be_focused()
    axe(phone)
