from datetime import date, timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from articles.models import MAX_BODY_CHARS, Article, Status

from .conftest import make_article

pytestmark = pytest.mark.django_db


def test_published_excludes_drafts_and_future_dated_articles():
    now = timezone.now()
    live = make_article(published_at=now - timedelta(minutes=1))
    make_article(status=Status.DRAFT, published_at=now - timedelta(days=1))
    make_article(published_at=now + timedelta(minutes=1))
    assert list(Article.objects.published(now=now)) == [live]


def test_database_refuses_a_published_article_without_a_date():
    with pytest.raises(IntegrityError):
        make_article(status=Status.PUBLISHED, published_at=None)


def test_database_refuses_an_unknown_status():
    with pytest.raises(IntegrityError):
        make_article(status="archived")


def test_database_refuses_a_body_over_the_limit():
    with pytest.raises(IntegrityError):
        make_article(body="x" * (MAX_BODY_CHARS + 1))


def test_reading_time_is_computed_from_the_body():
    article = make_article(body="word " * 1000)
    assert article.reading_minutes == 5
    assert make_article(body="short").reading_minutes == 1


def test_review_is_overdue_after_twelve_months_or_when_never_reviewed():
    today = date(2026, 11, 25)
    assert make_article(last_reviewed=date(2025, 11, 1)).review_is_overdue(today=today)
    assert make_article(last_reviewed=None).review_is_overdue(today=today)
    assert not make_article(last_reviewed=date(2026, 1, 1)).review_is_overdue(today=today)


def test_search_vector_is_stored_and_weights_the_title_highest():
    article = make_article(title="Trigger points", summary="Needles", body="Recovery")
    vector = Article.objects.values_list("search_vector", flat=True).get(pk=article.pk)
    assert "'trigger':1A" in vector
    assert "'needl':3B" in vector
    assert "'recoveri':4C" in vector
