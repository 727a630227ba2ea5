"""A page scheduled for later is shown as such to staff and appears on time for everyone."""

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.caching import next_publish_deadline
from articles.models import Status
from clinic.page_cache import PAGE_CACHE_SECONDS

from .conftest import make_article, make_condition, make_service

pytestmark = pytest.mark.django_db


class Clock:
    """Wall-clock time for the page cache (time.time) and the views (timezone.now)."""

    def __init__(self, monkeypatch):
        self.now = timezone.now().replace(microsecond=0)
        monkeypatch.setattr(time, "time", lambda: self.now.timestamp())
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def move_to(self, moment):
        self.now = moment


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def test_a_scheduled_article_appears_on_time_although_its_list_was_cached(client, clinic, clock):
    start = clock.now
    due = start + timedelta(minutes=2)  # well inside the page cache's five minutes
    assert PAGE_CACHE_SECONDS > 120
    article = make_article(title="Knee news", published_at=due)
    list_url = reverse("articles:article_list")

    first = client.get(list_url)
    assert "Knee news" not in first.content.decode() and first["X-Page-Cache"] == "miss"
    assert client.get(article.get_absolute_url()).status_code == 404

    clock.move_to(due - timedelta(seconds=1))
    still = client.get(list_url)
    assert still["X-Page-Cache"] == "hit" and "Knee news" not in still.content.decode()

    clock.move_to(due + timedelta(seconds=1))
    now_public = client.get(list_url)
    assert "Knee news" in now_public.content.decode()
    assert client.get(article.get_absolute_url()).status_code == 200


def test_home_page_shows_a_scheduled_service_within_a_minute(client, clinic, clock):
    due = clock.now + timedelta(seconds=90)
    make_service(title="Sports massage", published_at=due)
    assert "Sports massage" not in client.get("/").content.decode()
    clock.move_to(due + timedelta(seconds=1))
    assert "Sports massage" in client.get("/").content.decode()


def test_without_anything_scheduled_pages_keep_the_full_cache_time(client, clinic, clock):
    make_article(title="Old news")
    url = reverse("articles:article_list")
    client.get(url)
    clock.move_to(clock.now + timedelta(seconds=PAGE_CACHE_SECONDS - 5))
    assert client.get(url)["X-Page-Cache"] == "hit"


def test_next_deadline_moves_on_once_a_scheduled_moment_passes(clinic, clock):
    first = clock.now + timedelta(minutes=1)
    second = clock.now + timedelta(minutes=3)
    make_article(published_at=first)
    make_condition(published_at=second)
    make_article(status=Status.DRAFT, published_at=clock.now + timedelta(seconds=10))
    assert next_publish_deadline() == first.timestamp()
    clock.move_to(first + timedelta(seconds=1))
    assert next_publish_deadline() == second.timestamp()
    clock.move_to(second + timedelta(seconds=1))
    assert next_publish_deadline() is None


def test_admin_lists_say_scheduled_published_or_draft(admin_client, clinic):
    soon = timezone.now() + timedelta(days=3)
    make_article(title="Coming up", published_at=soon)
    make_article(title="Out already")
    make_article(title="Unfinished", status=Status.DRAFT, published_at=None)
    page = admin_client.get(reverse("admin:articles_article_changelist")).content.decode()
    rows = {
        title: row
        for row in re.findall(r"<tr.*?</tr>", page, re.S)
        for title in ("Coming up", "Out already", "Unfinished")
        if f">{title}</a>" in row
    }
    assert '<td class="field-publication">Scheduled for ' in rows["Coming up"]
    assert '<td class="field-publication">Published ' in rows["Out already"]
    assert '<td class="field-publication">Draft</td>' in rows["Unfinished"]
    make_service(title="Later service", published_at=soon)
    services_page = admin_client.get(reverse("admin:articles_servicepage_changelist"))
    assert "Scheduled for " in services_page.content.decode()
