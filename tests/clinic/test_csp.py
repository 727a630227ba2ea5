"""The Content-Security-Policy header, read whole, on every kind of page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# Everything the site relies on. No nonce and no hash: no page has inline
# code, and a per-response nonce would keep public pages out of the page cache.
EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'nonce-", "'sha")


def parse_policy(header: str) -> dict[str, list[str]]:
    """Directive -> sources; a repeated directive is an error (browsers ignore the repeat)."""
    policy: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in policy, f"{name} appears twice in {header!r}"
        policy[name.lower()] = sources
    return policy


def csp_of(response) -> dict[str, list[str]]:
    assert "Content-Security-Policy-Report-Only" not in response
    return parse_policy(response["Content-Security-Policy"])


def test_parser_reads_every_directive_and_its_sources():
    assert parse_policy("default-src 'self'; img-src 'self' data:;object-src 'none'") == {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
    }


def test_home_page_sends_exactly_the_expected_policy(client, clinic):
    assert csp_of(client.get(reverse("home"))) == EXPECTED_POLICY


@pytest.mark.parametrize("directive", ["script-src", "style-src", "default-src"])
def test_no_directive_allows_inline_code_or_eval(client, clinic, directive):
    sources = csp_of(client.get(reverse("home")))[directive]
    assert not [s for s in sources if s.startswith(UNSAFE_SOURCES)]


def test_a_page_served_from_the_page_cache_keeps_the_policy(client, clinic):
    client.get(reverse("home"))
    cached = client.get(reverse("home"))
    assert cached["X-Page-Cache"] == "hit"
    assert csp_of(cached) == EXPECTED_POLICY


def test_every_page_of_the_visitor_walk_sends_the_policy(site_walk):
    wrong = {
        page.url: page.csp for page in site_walk.pages if parse_policy(page.csp) != EXPECTED_POLICY
    }
    assert len(site_walk.pages) > 30
    assert wrong == {}


def test_not_found_page_sends_the_policy(client, clinic):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert csp_of(response) == EXPECTED_POLICY


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:index"),
        reverse("admin:booking_appointmentrequest_changelist"),
        reverse("admin:articles_article_add"),
    ],
)
def test_staff_admin_pages_send_the_same_policy_without_a_nonce(admin_client, clinic, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert csp_of(response) == EXPECTED_POLICY
    assert b"nonce=" not in response.content


def test_admin_login_page_sends_the_policy(client, clinic):
    assert csp_of(client.get(reverse("admin:login"))) == EXPECTED_POLICY
