"""Writes that matter for published content: publishing and cache invalidation."""

from datetime import datetime

from django.db import transaction

from articles.models import Article, ConditionPage, ServicePage, Status
from clinic.caching import bump_site_generation

Content = Article | ServicePage | ConditionPage


class ContentError(Exception):
    """A content change that cannot be made as asked."""


def content_changed() -> None:
    """After the surrounding transaction commits, every cached page goes stale."""
    transaction.on_commit(bump_site_generation)


@transaction.atomic
def content_publish(*, item: Content, now: datetime) -> Content:
    """Publish ``item`` now, or at its publish date if staff set one."""
    locked = type(item).objects.select_for_update().get(pk=item.pk)
    locked.status = Status.PUBLISHED
    if locked.published_at is None:
        locked.published_at = now
    locked.save(update_fields=["status", "published_at", "updated_at"])
    content_changed()
    return locked


@transaction.atomic
def content_unpublish(*, item: Content) -> Content:
    locked = type(item).objects.select_for_update().get(pk=item.pk)
    if locked.status != Status.PUBLISHED:
        raise ContentError(f"“{locked}” is not published.")
    locked.status = Status.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    content_changed()
    return locked
