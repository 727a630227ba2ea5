from importlib import reload

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import clear_url_caches, reverse

import clinic.urls
from images.services import image_create
from tests.images.conftest import make_upload

pytestmark = pytest.mark.django_db


def test_an_uploaded_photo_is_served(client):
    image = image_create(file=make_upload(), alt_text="A treatment room")
    response = client.get(image.file.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "max-age=86400" in response["Cache-Control"]


def test_a_rendition_is_served_with_its_type_and_a_long_cache_life(client):
    image = image_create(file=make_upload(), alt_text="A treatment room")
    response = client.get(f"/media/{image.renditions['key']}-160.avif")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/avif"
    assert "immutable" in response["Cache-Control"]


def test_a_missing_file_answers_404(client):
    assert client.get("/media/images/nothing.jpg").status_code == 404


def test_files_that_are_not_images_are_never_served(client):
    default_storage.save("images/page.html", ContentFile(b"<script>alert(1)</script>"))
    default_storage.save("images/drawing.svg", ContentFile(b"<svg onload='alert(1)'/>"))
    assert client.get("/media/images/page.html").status_code == 404
    assert client.get("/media/images/drawing.svg").status_code == 404


@pytest.mark.parametrize("path", ["../outside.png", "..%2foutside.png", "/outside.png"])
def test_paths_outside_media_root_answer_404(client, media_root, path):
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root.parent / "outside.png").write_bytes(make_upload().read())
    assert client.get("/media/" + path).status_code == 404


def test_only_reading_is_allowed(client):
    image = image_create(file=make_upload(), alt_text="A treatment room")
    assert client.post(image.file.url).status_code == 405


def test_with_serve_media_off_the_app_leaves_media_to_the_web_server(client):
    image = image_create(file=make_upload(), alt_text="A treatment room")
    with override_settings(SERVE_MEDIA=False):
        clear_url_caches()
        reload(clinic.urls)
        assert client.get(image.file.url).status_code == 404
    clear_url_caches()
    reload(clinic.urls)
    assert reverse("media", kwargs={"path": "x.png"}) == "/media/x.png"
