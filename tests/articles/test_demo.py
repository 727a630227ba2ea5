from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article, ConditionPage, ServicePage, Status
from articles.services import content_save

pytestmark = pytest.mark.django_db


def test_demo_loads_the_articles_services_and_conditions_the_brief_asks_for(content):
    assert Article.objects.published().count() >= 4
    assert set(ServicePage.objects.values_list("slug", flat=True)) >= {
        "dry-needling", "physiotherapy", "massage-therapy", "acupuncture",
    }  # fmt: skip
    assert set(ConditionPage.objects.values_list("slug", flat=True)) >= {
        "shoulder-pain", "neck-pain", "back-pain", "heel-pain", "hip-pain",
    }  # fmt: skip
    assert content.author.slug == "tom-lindqvist"
    assert content.reviewer.slug == "maya-okafor"
    service = ServicePage.objects.get(slug="dry-needling")
    assert service.treatment.slug == "dry-needling"
    assert service.booking_url == "/book/?treatment=dry-needling"


def test_loading_the_demo_twice_duplicates_nothing(content):
    counts = (Article.objects.count(), ServicePage.objects.count(), ConditionPage.objects.count())
    call_command("load_demo", stdout=StringIO())
    assert counts == (
        Article.objects.count(),
        ServicePage.objects.count(),
        ConditionPage.objects.count(),
    )


def test_loading_the_demo_again_keeps_staff_edits(content):
    content.title = "Edited by staff"
    content.status = Status.DRAFT
    content.save()
    content.topics.clear()
    call_command("load_demo", stdout=StringIO())
    content.refresh_from_db()
    assert content.title == "Edited by staff"
    assert content.status == Status.DRAFT
    assert not content.topics.exists()


def test_the_dry_needling_article_covers_what_the_brief_lists(content):
    body = content.body
    for words in [
        "filiform", "trigger point", "twitch", "sparrow pecking", "pistoning",
        "around the painful area", "shoulder", "neck", "back", "heel", "hip",
        "bruise", "sterile, single-use", "home", "/book/?treatment=dry-needling",
    ]:  # fmt: skip
        assert words in body, words


def test_loading_the_demo_again_does_not_bring_back_a_page_staff_renamed(content):
    renamed_article = Article.objects.get(slug="dry-needling-explained")
    renamed_article.slug = "dry-needling-guide"
    content_save(item=renamed_article, user=None, now=timezone.now())
    service = ServicePage.objects.get(slug="dry-needling")
    service.slug = "dry-needling-therapy"
    content_save(item=service, user=None, now=timezone.now())
    counts = (Article.objects.count(), ServicePage.objects.count())

    call_command("load_demo", stdout=StringIO())

    assert (Article.objects.count(), ServicePage.objects.count()) == counts
    assert not Article.objects.filter(slug="dry-needling-explained").exists()
    assert not ServicePage.objects.filter(slug="dry-needling").exists()
