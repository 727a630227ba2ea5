"""The article page: contents from its headings, a booking card and pictures on cards."""

import pytest

from articles.contents import with_contents
from images.services import image_create
from tests.images.conftest import make_upload

from .conftest import make_article, make_service

pytestmark = pytest.mark.django_db


def test_contents_list_every_second_level_heading_with_unique_anchors():
    html, contents = with_contents("<h2>Side effects</h2><p>x</p><h2>Side <em>effects</em></h2>")
    assert [(h.anchor, h.text) for h in contents] == [
        ("section-side-effects", "Side effects"),
        ("section-side-effects-2", "Side effects"),
    ]
    assert html == (
        '<h2 id="section-side-effects">Side effects</h2><p>x</p>'
        '<h2 id="section-side-effects-2">Side <em>effects</em></h2>'
    )


def test_article_sidebar_links_its_headings_and_books_its_treatment(client, clinic):
    service = make_service(title="Dry needling")
    article = make_article(body="## What it is\n\nWords.\n\n## Who it helps\n\nMore.")
    article.services.set([service])
    body = client.get(article.get_absolute_url()).content.decode()
    assert '<nav class="sidebar-card article-contents" aria-labelledby="contents-heading">' in body
    assert '<a href="#section-what-it-is">What it is</a>' in body
    assert '<h2 id="section-who-it-helps">Who it helps</h2>' in body
    assert f'href="{service.booking_url}">Book this treatment</a>' in body


def test_related_pages_are_cards_with_decorative_pictures(client, clinic):
    service = make_service(title="Dry needling")
    service.lead_image = image_create(file=make_upload(), alt_text="Needles in a shoulder")
    service.save()
    article = make_article()
    article.services.set([service])
    body = client.get(article.get_absolute_url()).content.decode()
    related = body[body.index('id="related-links-heading"') :]
    assert '<ul class="card-list card-list--pictures">' in related
    assert 'alt="" class="content-card__image" loading="lazy"' in related
