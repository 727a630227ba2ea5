"""Loads the demo clinic's content (articles/demo_content.py) into the site.

Idempotent: each page is created once, by slug; a page that already exists is
left exactly as staff last saved it. Practitioners and treatments come from
booking's demo, looked up by their fixed slugs.
"""

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from articles.demo_content import ARTICLE_IMAGES, ARTICLES, CONDITIONS, SERVICES, TOPICS, book_url
from articles.models import (
    Article,
    ConditionPage,
    ContentRedirect,
    ServicePage,
    Status,
    Topic,
)
from articles.services import content_changed
from booking.models import Practitioner, Treatment
from images import demo_pictures as demo_images


def _illustrate(page, slug: str) -> None:
    page.lead_image = demo_images.illustration(slug)
    if page.lead_image is not None:
        page.save(update_fields=["lead_image"])


def _practitioner(slug: str) -> Practitioner | None:
    return Practitioner.objects.filter(slug=slug).first()


@transaction.atomic
def _demo_page(model, slug: str, defaults: dict):
    """(page, created): the demo's page, made only if it is new to this site.

    A page staff have renamed keeps its old address as a redirect; that page
    is the demo's, so `make run` does not make a second one under the old slug.
    """
    path = model(slug=slug).get_absolute_url()
    redirect = ContentRedirect.objects.filter(old_path=path).first()
    if redirect is not None and isinstance(redirect.item, model):
        return redirect.item, False
    return model.objects.get_or_create(slug=slug, defaults=defaults)


def load(stdout) -> None:
    now = timezone.now()
    today = timezone.localdate()
    created = []

    topics = {}
    for slug, name in TOPICS.items():
        topics[slug], _ = Topic.objects.get_or_create(slug=slug, defaults={"name": name})

    services = {}
    for order, data in enumerate(SERVICES):
        fields = {key: value for key, value in data.items() if key != "slug"}
        service, was_created = _demo_page(
            ServicePage,
            data["slug"],
            {
                **fields,
                "treatment": Treatment.objects.filter(slug=data["slug"]).first(),
                "status": Status.PUBLISHED,
                "published_at": now - timedelta(days=90),
                "sort_order": order,
            },
        )
        services[data["slug"]] = service
        if was_created:
            _illustrate(service, service.slug)
            created.append(service)

    conditions = {}
    for order, data in enumerate(CONDITIONS):
        fields = {key: data[key] for key in ("title", "summary", "overview")}
        condition, was_created = _demo_page(
            ConditionPage,
            data["slug"],
            {
                **fields,
                "status": Status.PUBLISHED,
                "published_at": now - timedelta(days=90),
                "sort_order": order,
            },
        )
        conditions[data["slug"]] = condition
        if was_created:
            _illustrate(condition, condition.slug)
            condition.services.set(services[slug] for slug in data["services"])
            created.append(condition)

    reviewer = _practitioner("maya-okafor")
    for data in ARTICLES:
        service_url = f"{reverse('articles:service_detail', kwargs={'slug': 'dry-needling'})}"
        article, was_created = _demo_page(
            Article,
            data["slug"],
            {
                "title": data["title"],
                "summary": data["summary"],
                "body": data["body"].format(book=book_url(data["book"]), service=service_url),
                "status": Status.PUBLISHED,
                "published_at": now - timedelta(days=data["days_ago"]),
                "last_reviewed": today - timedelta(days=data["reviewed_days_ago"]),
                "author": _practitioner(data["author"]),
                "reviewer": reviewer,
            },
        )
        if was_created:
            _illustrate(article, ARTICLE_IMAGES[data["slug"]])
            article.topics.set(topics[slug] for slug in data["topics"])
            article.services.set(services[slug] for slug in data["services"])
            article.conditions.set(conditions[slug] for slug in data["conditions"])
            created.append(article)

    if created:
        content_changed()
    stdout.write(
        f"Content: {len(created)} pages created"
        + (", existing pages left as they are." if len(created) < 14 else ".")
    )
