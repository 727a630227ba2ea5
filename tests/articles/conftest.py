from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from articles.models import Article, ConditionPage, ServicePage, Status, Topic
from booking.models import Practitioner, Treatment

_numbers = count(1)


def ensure_practitioner(slug: str, **defaults) -> Practitioner:
    practitioner, _ = Practitioner.objects.get_or_create(slug=slug, defaults=defaults)
    return practitioner


def ensure_demo_people() -> None:
    """The practitioners and treatment that booking's demo creates, by the same slugs."""
    ensure_practitioner(
        "maya-okafor", name="Dr Maya Okafor", credentials="DPT, MCSP", role="Physiotherapist"
    )
    ensure_practitioner(
        "tom-lindqvist", name="Tom Lindqvist", credentials="BSc, MCSP", role="Physiotherapist"
    )
    Treatment.objects.get_or_create(
        slug="dry-needling",
        defaults={"name": "Dry needling", "duration_minutes": 45, "price": "65.00"},
    )


@pytest.fixture
def maya(db):
    ensure_demo_people()
    return Practitioner.objects.get(slug="maya-okafor")


@pytest.fixture
def tom(db):
    ensure_demo_people()
    return Practitioner.objects.get(slug="tom-lindqvist")


@pytest.fixture
def dry_needling_treatment(db):
    ensure_demo_people()
    return Treatment.objects.get(slug="dry-needling")


def make_topic(**fields) -> Topic:
    number = next(_numbers)
    return Topic.objects.create(**{"name": f"Topic {number}", "slug": f"topic-{number}", **fields})


def make_service(**fields) -> ServicePage:
    number = next(_numbers)
    defaults = {
        "title": f"Service {number}",
        "slug": f"service-{number}",
        "summary": "A treatment.",
        "what_it_is": "What it is.",
        "who_it_helps": "Who it helps.",
        "what_to_expect": "What to expect.",
        "duration_and_price": "45 minutes · £60",
        "status": Status.PUBLISHED,
        "published_at": timezone.now() - timedelta(days=1),
    }
    return ServicePage.objects.create(**{**defaults, **fields})


def make_condition(**fields) -> ConditionPage:
    number = next(_numbers)
    defaults = {
        "title": f"Condition {number}",
        "slug": f"condition-{number}",
        "summary": "A painful area.",
        "overview": "Overview.",
        "status": Status.PUBLISHED,
        "published_at": timezone.now() - timedelta(days=1),
    }
    return ConditionPage.objects.create(**{**defaults, **fields})


def _article(**fields) -> Article:
    number = next(_numbers)
    defaults = {
        "title": f"Article {number}",
        "slug": f"article-{number}",
        "summary": f"Summary of article {number}.",
        "body": "## Heading\n\nSome words about recovery.",
        "status": Status.PUBLISHED,
        "published_at": timezone.now() - timedelta(hours=number),
    }
    return Article(**{**defaults, **fields})


def make_article(*, topics=(), services=(), conditions=(), **fields) -> Article:
    article = _article(**fields)
    article.save()
    article.topics.set(topics)
    article.services.set(services)
    article.conditions.set(conditions)
    return article


def make_articles(links: list[dict], **fields) -> list[Article]:
    """One article per item of ``links`` (its topics, services and conditions), in a few queries.

    For tests that need hundreds of rows: the same rows make_article makes.
    """
    articles = Article.objects.bulk_create(_article(**fields) for _ in links)
    for name in ("topics", "services", "conditions"):
        through = getattr(Article, name).through
        column = f"{getattr(Article, name).field.related_model._meta.model_name}_id"
        through.objects.bulk_create(
            through(article_id=article.pk, **{column: related.pk})
            for article, item in zip(articles, links, strict=True)
            for related in item.get(name, ())
        )
    return articles


@pytest.fixture
def content(db, clinic, maya, tom, dry_needling_treatment):
    """The demo clinic's content, as `make run` loads it."""
    from articles.demo import load

    class Quiet:
        def write(self, *args, **kwargs):
            pass

    load(stdout=Quiet())
    return Article.objects.get(slug="dry-needling-explained")
