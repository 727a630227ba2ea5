"""Every save keeps a revision; staff compare revisions with the page and restore one."""

from datetime import datetime, time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Article, Revision, RevisionKind, Status
from articles.revisions import diff_html, page_history

from .conftest import make_article, make_condition, make_service
from .test_admin import _article_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-12345")


def _kinds(item):
    return [row.revision.kind for row in page_history(item=item)]


def _edit(article, user, **changes):
    for name, value in changes.items():
        setattr(article, name, value)
    return services.content_save(item=article, user=user, now=timezone.now())


def test_first_edit_keeps_the_text_as_it_stood_before_and_the_edit(editor):
    article = make_article(title="Before", body="Old paragraph.")
    _edit(article, editor, body="New paragraph.")
    newest, original = Revision.objects.filter(object_id=article.pk).order_by("-pk")
    assert original.kind == RevisionKind.ORIGINAL
    assert original.data["body"] == "Old paragraph." and original.user is None
    assert newest.kind == RevisionKind.EDITED
    assert newest.data["body"] == "New paragraph." and newest.user == editor
    assert newest.changed == ["body"]


def test_every_save_keeps_one_more_revision(editor):
    article = make_article()
    _edit(article, editor, body="One.")
    _edit(article, editor, body="Two.")
    _edit(article, editor, summary="Three.")
    assert _kinds(article) == ["edited", "edited", "edited", "original"]


def test_publishing_and_unpublishing_are_recorded_with_who_did_it(editor):
    draft = make_article(status=Status.DRAFT, published_at=None)
    now = timezone.now()
    services.content_publish(item=draft, now=now, user=editor)
    services.content_unpublish(item=draft, now=now, user=editor)
    rows = page_history(item=Article.objects.get(pk=draft.pk))
    assert [r.revision.kind for r in rows] == ["unpublished", "published", "original"]
    assert rows[1].revision.changed == ["status", "published_at"]
    assert rows[0].revision.user == editor


def test_publishing_by_the_status_field_in_admin_is_recorded_as_publishing(editor):
    draft = make_article(status=Status.DRAFT, published_at=None)
    _edit(draft, editor, status=Status.PUBLISHED, published_at=timezone.now())
    assert _kinds(draft)[0] == RevisionKind.PUBLISHED


def test_restore_brings_the_text_back_as_a_new_revision_and_keeps_the_status(editor):
    article = make_article(title="First title", body="First body.")
    _edit(article, editor, title="Second title", body="Second body.")
    original = page_history(item=article)[-1].revision
    restored = services.content_restore(
        item=article, revision=original, user=editor, now=timezone.now()
    )
    article.refresh_from_db()
    assert (article.title, article.body) == ("First title", "First body.")
    assert article.status == Status.PUBLISHED
    assert restored.kind == RevisionKind.RESTORED and restored.restored_from == original
    assert set(restored.changed) == {"title", "body"}
    assert len(page_history(item=article)) == 3


@pytest.mark.parametrize("make", [make_article, make_service, make_condition])
def test_restore_brings_back_every_text_field_the_revision_recorded(editor, make):
    item = make()
    model = type(item)
    for name in model.restorable_fields():
        setattr(item, name, f"first-{name}")
    services.content_save(item=item, user=editor, now=timezone.now())
    recorded = page_history(item=item)[0].revision
    published_at = item.published_at
    for name in model.restorable_fields():
        setattr(item, name, f"second-{name}")
    item.status = Status.DRAFT
    services.content_save(item=item, user=editor, now=timezone.now())

    services.content_restore(item=item, revision=recorded, user=editor, now=timezone.now())

    item.refresh_from_db()
    assert set(model.restorable_fields()) <= set(recorded.data)
    for name in model.restorable_fields():
        assert getattr(item, name) == f"first-{name}", name
    # Restoring text never publishes a draft or moves its date (content_restore's rule).
    assert (item.status, item.published_at) == (Status.DRAFT, published_at)


def test_a_revision_of_another_page_cannot_be_restored(editor):
    one, other = make_article(), make_article()
    _edit(other, editor, body="Other text.")
    with pytest.raises(services.ContentError):
        services.content_restore(
            item=one,
            revision=page_history(item=other)[0].revision,
            user=editor,
            now=timezone.now(),
        )


def test_service_and_condition_pages_keep_revisions_of_their_markdown(editor):
    service, condition = make_service(), make_condition()
    service.who_it_helps = "People with stiff necks."
    services.content_save(item=service, user=editor, now=timezone.now())
    condition.overview = "Heel pain in runners."
    services.content_save(item=condition, user=editor, now=timezone.now())
    assert page_history(item=service)[0].revision.changed == ["who_it_helps"]
    assert page_history(item=condition)[0].revision.data["overview"] == "Heel pain in runners."


def test_diff_marks_removed_and_added_words_and_escapes_html():
    html = diff_html("Rest the <b>calf</b> daily.", "Stretch the <b>calf</b> daily.")
    assert '<del><span class="visually-hidden">removed: </span>Rest</del>' in html
    assert '<ins><span class="visually-hidden">added: </span>Stretch</ins>' in html
    assert "&lt;b&gt;calf&lt;/b&gt;" in html and "<b>" not in html


def test_saving_in_admin_keeps_a_revision_by_the_staff_user(admin_client, clinic):
    article = make_article(title="Old title")
    data = _article_form_data(
        title="New title",
        slug=article.slug,
        status=Status.PUBLISHED,
        published_at_0=article.published_at.date().isoformat(),
        published_at_1="00:00:00",
    )
    response = admin_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 302
    newest = page_history(item=Article.objects.get(pk=article.pk))[0].revision
    assert newest.user.username == "admin" and "title" in newest.changed


def test_saving_a_page_unchanged_from_the_browser_records_no_changed_field(admin_client, clinic):
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time()))
    article = make_article(
        body="## Calf care\n\nRest the calf.\n\nThen stretch it.", published_at=midnight
    )
    data = _article_form_data(
        title=article.title,
        slug=article.slug,
        summary=article.summary,
        body=article.body.replace("\n", "\r\n"),  # as every browser sends a textarea
        status=article.status,
        published_at_0=midnight.date().isoformat(),
        published_at_1="00:00:00",
    )

    response = admin_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)

    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).body == article.body
    assert page_history(item=article)[0].revision.changed == []


def test_revisions_page_shows_a_diff_and_restores_by_post(admin_client, clinic, editor):
    article = make_article(title="Calf care", body="Rest the calf.")
    _edit(article, editor, body="Stretch the calf.")
    url = reverse("admin:articles_article_revisions", args=[article.pk])
    page = admin_client.get(url).content.decode()
    assert "Restore this revision" in page
    assert '<del><span class="visually-hidden">removed: </span>Rest</del>' in page
    original = page_history(item=article)[-1].revision
    restore = reverse("admin:articles_article_restore", args=[article.pk, original.pk])
    assert admin_client.get(restore).status_code == 405  # only a POST restores
    response = admin_client.post(restore)
    assert response.status_code == 302 and response.url == url
    article.refresh_from_db()
    assert article.body == "Rest the calf."


def test_revisions_page_costs_the_same_queries_for_many_revisions(
    admin_client, clinic, editor, django_assert_max_num_queries
):
    article = make_article()
    url = reverse("admin:articles_article_revisions", args=[article.pk])
    _edit(article, editor, body="One.")
    admin_client.get(url)
    with django_assert_max_num_queries(8) as few:
        admin_client.get(url)
    for n in range(30):
        _edit(article, editor, body=f"Edit {n}.")
    with django_assert_max_num_queries(len(few)):
        assert admin_client.get(url).status_code == 200


def test_staff_without_change_permission_cannot_restore(client, clinic, editor):
    article = make_article(body="Text.")
    _edit(article, editor, body="Changed.")
    viewer = get_user_model().objects.create_user("viewer", password="pw-12345", is_staff=True)
    client.force_login(viewer)
    original = page_history(item=article)[-1].revision
    url = reverse("admin:articles_article_restore", args=[article.pk, original.pk])
    assert client.post(url).status_code == 403
    article.refresh_from_db()
    assert article.body == "Changed."


def test_diff_shows_a_rewritten_sentence_as_one_change_and_keeps_long_shared_text():
    html = diff_html(
        "Intro stays the same here. Warm up the calf for five minutes before a run.",
        "Intro stays the same here. Rest the calf completely for a week.",
    )
    assert html.startswith("Intro stays the same here. <del>")
    assert html.count("<del>") == 1 and html.count("<ins>") == 1
    assert "Warm up the calf for five minutes before a run.</del>" in html
    assert "Rest the calf completely for a week.</ins>" in html


def test_restoring_an_address_another_page_now_uses_is_refused_with_a_message(
    admin_client, clinic, editor
):
    article = make_article(slug="first-address")
    _edit(article, editor, slug="second-address")
    make_article(slug="first-address")  # someone took the old address
    original = page_history(item=article)[-1].revision
    restore = reverse("admin:articles_article_restore", args=[article.pk, original.pk])
    response = admin_client.post(restore, follow=True)
    assert response.status_code == 200
    assert "Another page now uses the address “first-address”" in response.content.decode()
    article.refresh_from_db()
    assert article.slug == "second-address"
