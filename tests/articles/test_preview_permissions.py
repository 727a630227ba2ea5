"""Draft previews show only to staff allowed to view that kind of page."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from articles.models import Status
from tests.articles.conftest import make_article, make_condition, make_service

MAKERS = {"article": make_article, "service": make_service, "condition": make_condition}
PERMISSIONS = {
    "article": "view_article",
    "service": "view_servicepage",
    "condition": "view_conditionpage",
}


def staff(*codenames: str) -> User:
    user = User.objects.create(username="staff-" + "-".join(codenames or ("none",)), is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def preview_url(kind, page):
    return reverse("articles:preview", kwargs={"kind": kind, "slug": page.slug})


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(MAKERS))
def test_staff_without_the_view_permission_cannot_preview_a_draft(client, clinic, kind):
    draft = MAKERS[kind](title="Secret draft", status=Status.DRAFT, published_at=None)
    client.force_login(staff())

    response = client.get(preview_url(kind, draft))

    assert response.status_code == 403
    assert "Secret draft" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(MAKERS))
def test_staff_with_the_view_permission_for_that_kind_previews_it(client, clinic, kind):
    draft = MAKERS[kind](title="Secret draft", status=Status.DRAFT, published_at=None)
    client.force_login(staff(PERMISSIONS[kind]))

    response = client.get(preview_url(kind, draft))

    assert response.status_code == 200
    assert "Secret draft" in response.content.decode()


@pytest.mark.django_db
def test_permission_for_one_kind_does_not_open_another(client, clinic):
    service = make_service(title="Secret service", status=Status.DRAFT, published_at=None)
    client.force_login(staff("view_article"))
    assert client.get(preview_url("service", service)).status_code == 403
