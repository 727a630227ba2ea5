"""No public page or booking step carries code the Content-Security-Policy would block."""

import pytest

pytestmark = pytest.mark.django_db

# Every page a patient meets on the way to a booking and back, by URL name.
BOOKING_JOURNEY = {
    "booking:start",
    "booking:practitioner",
    "booking:time",
    "booking:details",
    "booking:review",
    "booking:confirm",
    "booking:confirmed",
    # The private link itself (booking:manage) only redirects to this page.
    "booking:appointment",
    "booking:reschedule",
    "booking:cancel",
}
PUBLIC_PAGES = {
    "home",
    "privacy",
    "articles:article_list",
    "articles:article_detail",
    "articles:service_list",
    "articles:service_detail",
    "articles:condition_list",
    "articles:condition_detail",
    "articles:search",
    "booking:practitioner_list",
    "booking:practitioner_detail",
}


def test_walk_reaches_every_public_page_and_booking_step(site_walk):
    assert site_walk.view_names >= PUBLIC_PAGES | BOOKING_JOURNEY


def test_no_public_page_or_booking_step_has_inline_script_style_or_handlers(site_walk):
    assert site_walk.problems() == []


def test_walk_finds_search_results_and_error_pages_too(site_walk):
    statuses = {(page.view_name, page.status) for page in site_walk.pages}
    assert ("booking:confirm", 409) in statuses  # a time taken a moment before
    search = [p for p in site_walk.pages if p.view_name == "articles:search" and "q=" in p.url]
    assert search, "the search form was never sent"
