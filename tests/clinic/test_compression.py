"""HTML is sent gzip-compressed to clients that accept it; cached pages are stored compressed."""

import gzip

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.articles.conftest import make_article

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",")}


def stored_bodies() -> list[bytes]:
    keys = [key for key in cache._cache if ":page:" in key]  # LocMemCache's own dict
    # A copy is (its generations, its headers, its compressed body).
    return [cache.get(key.split(":", 2)[2])[-1] for key in keys]


def test_cached_page_is_sent_compressed_from_the_stored_bytes(client, clinic):
    url = make_article().get_absolute_url()
    plain = client.get(url)
    first = client.get(url, **GZIP)
    again = client.get(url, **GZIP)

    assert (plain["X-Page-Cache"], first["X-Page-Cache"], again["X-Page-Cache"]) == (
        "miss",
        "hit",
        "hit",
    )
    [stored] = stored_bodies()
    assert stored[:2] == b"\x1f\x8b"  # kept compressed, compressed once
    for response in (first, again):
        assert response["Content-Encoding"] == "gzip"
        assert response.content == stored
        assert int(response["Content-Length"]) == len(stored)
        assert "accept-encoding" in vary(response)
    assert gzip.decompress(again.content) == plain.content
    assert len(again.content) < len(plain.content) / 3


def test_first_visit_that_fills_the_cache_is_compressed_too(client, clinic):
    response = client.get(make_article().get_absolute_url(), **GZIP)
    assert response["X-Page-Cache"] == "miss"
    assert response["Content-Encoding"] == "gzip"
    assert b"<h1" in gzip.decompress(response.content)


def test_client_without_gzip_gets_the_plain_page_and_a_vary_header(client, clinic):
    url = make_article().get_absolute_url()
    client.get(url, **GZIP)
    response = client.get(url)

    assert response["X-Page-Cache"] == "hit"
    assert not response.has_header("Content-Encoding")
    assert response.content.lstrip().startswith(b"<!DOCTYPE html>")
    assert int(response["Content-Length"]) == len(response.content)
    assert "accept-encoding" in vary(response)


def test_pages_with_a_csrf_token_are_compressed_with_random_padding(client, clinic):
    """Never cached (they carry a CSRF token): compressed per response, BREACH-padded."""
    from tests.booking.booking_world import make_world

    make_world()
    url = reverse("booking:find")
    responses = [client.get(url, **GZIP) for _ in range(12)]

    for response in responses:
        assert "X-Page-Cache" not in response
        assert response["Content-Encoding"] == "gzip"
        assert b"csrfmiddlewaretoken" in gzip.decompress(response.content)
    # The same page, its token masked afresh and its length padded at random each time.
    assert len({len(response.content) for response in responses}) > 1
