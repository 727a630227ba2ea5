"""Writes that matter for published content.

Every change to a page goes through here, so each one keeps a revision (who,
when, which fields changed), a published page's old address keeps answering
after its slug changes, and cached pages go stale once the change commits.
"""

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction

from articles.caching import forget_next_publish
from articles.models import (
    Article,
    ConditionPage,
    ContentRedirect,
    Revision,
    RevisionKind,
    ServicePage,
    Status,
)
from clinic.page_cache import bump_site_generation

Content = Article | ServicePage | ConditionPage


class ContentError(Exception):
    """A content change that cannot be made as asked."""


def content_changed() -> None:
    """After the surrounding transaction commits, every cached page goes stale
    (and the next scheduled publish date is read afresh)."""
    transaction.on_commit(forget_next_publish)
    transaction.on_commit(bump_site_generation)


def _snapshot(item: Content) -> dict:
    data = {}
    for name in item.revision_fields():
        value = getattr(item, name)
        data[name] = value.isoformat() if isinstance(value, datetime) else value
    return data


def _revisions(item: Content):
    return Revision.objects.filter(
        content_type=ContentType.objects.get_for_model(item), object_id=item.pk
    )


def _revision_add(
    *,
    item: Content,
    kind: str,
    user,
    now: datetime,
    before: dict | None = None,
    restored_from: Revision | None = None,
) -> Revision:
    data = _snapshot(item)
    changed = [name for name in data if before is None or before.get(name) != data[name]]
    return Revision.objects.create(
        content_type=ContentType.objects.get_for_model(item),
        object_id=item.pk,
        kind=kind,
        created_at=now,
        user=user if user is not None and user.is_authenticated else None,
        data=data,
        changed=changed,
        restored_from=restored_from,
    )


def _keep_original(*, old: Content) -> None:
    """Before the first recorded change, keep the text as it stood (demo or older pages)."""
    if not _revisions(old).exists():
        _revision_add(item=old, kind=RevisionKind.ORIGINAL, user=None, now=old.updated_at)


def _addresses_follow(*, old: Content | None, item: Content, now: datetime) -> None:
    """The page owns its current address; a public page's previous one redirects to it."""
    new_path = item.get_absolute_url()
    # A page living at an address wins over an old redirect from it.
    ContentRedirect.objects.filter(old_path=new_path).delete()
    if old is None or not old.is_public(now=now):
        return
    old_path = old.get_absolute_url()
    if old_path != new_path:
        ContentRedirect.objects.update_or_create(
            old_path=old_path,
            defaults={
                "content_type": ContentType.objects.get_for_model(item),
                "object_id": item.pk,
                "created_at": now,
            },
        )


def _kind_of_save(*, old: Content | None, item: Content) -> str:
    if old is None:
        return RevisionKind.CREATED
    if old.status != item.status:
        published = item.status == Status.PUBLISHED
        return RevisionKind.PUBLISHED if published else RevisionKind.UNPUBLISHED
    return RevisionKind.EDITED


@transaction.atomic
def content_save(*, item: Content, user, now: datetime) -> Content:
    """Save ``item`` as staff edited it, keeping a revision and its old address."""
    old = None
    if item.pk is not None:
        old = type(item).objects.select_for_update().filter(pk=item.pk).first()
    if old is not None:
        _keep_original(old=old)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as error:
        raise ContentError(f"“{item}” could not be saved: {error}") from error
    _revision_add(
        item=item,
        kind=_kind_of_save(old=old, item=item),
        user=user,
        now=now,
        before=_snapshot(old) if old is not None else None,
    )
    _addresses_follow(old=old, item=item, now=now)
    content_changed()
    return item


@transaction.atomic
def content_publish(*, item: Content, now: datetime, user=None) -> Content:
    """Publish ``item`` now, or at its publish date if staff set one."""
    locked = type(item).objects.select_for_update().get(pk=item.pk)
    _keep_original(old=locked)
    before = _snapshot(locked)
    locked.status = Status.PUBLISHED
    if locked.published_at is None:
        locked.published_at = now
    locked.save(update_fields=["status", "published_at", "updated_at"])
    _revision_add(item=locked, kind=RevisionKind.PUBLISHED, user=user, now=now, before=before)
    _addresses_follow(old=None, item=locked, now=now)
    content_changed()
    return locked


@transaction.atomic
def content_unpublish(*, item: Content, now: datetime, user=None) -> Content:
    locked = type(item).objects.select_for_update().get(pk=item.pk)
    if locked.status != Status.PUBLISHED:
        raise ContentError(f"“{locked}” is not published.")
    _keep_original(old=locked)
    before = _snapshot(locked)
    locked.status = Status.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    _revision_add(item=locked, kind=RevisionKind.UNPUBLISHED, user=user, now=now, before=before)
    content_changed()
    return locked


@transaction.atomic
def content_restore(*, item: Content, revision: Revision, user, now: datetime) -> Revision:
    """Bring back the text of ``revision``; the restore is itself a new revision.

    Status and publish date stay as they are: restoring text never publishes
    a draft or hides a live page.
    """
    locked = type(item).objects.select_for_update().get(pk=item.pk)
    if (revision.content_type_id, revision.object_id) != (
        ContentType.objects.get_for_model(locked).pk,
        locked.pk,
    ):
        raise ContentError("That revision belongs to another page.")
    old = type(item).objects.get(pk=item.pk)
    _keep_original(old=old)
    fields = [name for name in locked.restorable_fields() if name in revision.data]
    for name in fields:
        setattr(locked, name, revision.data[name])
    slug = revision.data.get("slug")
    if slug and type(item).objects.filter(slug=slug).exclude(pk=locked.pk).exists():
        raise ContentError(f"Another page now uses the address “{slug}”; change it first.")
    locked.save()
    restored = _revision_add(
        item=locked,
        kind=RevisionKind.RESTORED,
        user=user,
        now=now,
        before=_snapshot(old),
        restored_from=revision,
    )
    _addresses_follow(old=old, item=locked, now=now)
    content_changed()
    return restored
