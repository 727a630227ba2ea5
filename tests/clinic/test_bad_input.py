"""A NUL byte that reaches the ORM is the visitor's mistake: 400, never a 500."""

import pytest
from django.contrib.auth import get_user_model

from articles.models import Article

pytestmark = pytest.mark.django_db

NUL = "\x00"


def test_a_nul_in_a_public_filter_is_a_bad_request(client, clinic):
    response = client.get("/articles/", {"topic": f"pain{NUL}"})

    assert response.status_code == 400
    assert "We could not read that request" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/articles/article/",
        "/admin/articles/servicepage/",
        "/admin/booking/appointmentrequest/",
    ],
)
def test_a_nul_in_an_admin_list_filter_is_a_bad_request_and_changes_nothing(client, clinic, path):
    staff = get_user_model().objects.create_superuser("chief", "chief@example.com", "pw-123456789")
    client.force_login(staff)
    articles_before = Article.objects.count()

    response = client.get(path, {"status": NUL})

    assert response.status_code == 400
    assert Article.objects.count() == articles_before
    # The same list without the NUL still works.
    assert client.get(path, {"status": "draft"}).status_code in {200, 302}
