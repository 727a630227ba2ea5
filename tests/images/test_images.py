import re

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.template import Context, Template
from PIL import Image as PILImage

from clinic.identity import forget_clinic
from images.forms import ImageForm
from images.models import Image
from images.rendering import figure_html, picture_html, social_image_path
from images.services import ImageError, image_create, image_delete, image_save
from tests.images.conftest import make_upload

pytestmark = pytest.mark.django_db


def _open(url: str) -> PILImage.Image:
    name = url.removeprefix("/media/")
    with default_storage.open(name) as handle:
        picture = PILImage.open(handle)
        picture.load()
    return picture


def test_database_refuses_an_image_without_alt_text_unless_decorative():
    with pytest.raises(IntegrityError):
        Image.objects.create(file="images/x.png", alt_text="", decorative=False, width=10, height=5)


def test_a_decorative_image_needs_no_alt_text_and_has_an_empty_alt():
    image = image_create(file=make_upload(), decorative=True)
    assert image.alt == ""
    assert 'alt=""' in picture_html(image)


def test_form_asks_for_alt_text_next_to_the_field():
    form = ImageForm(data={"alt_text": "  ", "decorative": False}, files={"file": make_upload()})
    assert not form.is_valid()
    assert "mark it decorative" in form.errors["alt_text"][0]


def test_form_accepts_a_decorative_image_without_alt_text():
    form = ImageForm(data={"alt_text": "", "decorative": True}, files={"file": make_upload()})
    assert form.is_valid(), form.errors


def test_service_refuses_missing_alt_text_before_storing_anything(media_root):
    with pytest.raises(ImageError):
        image_create(file=make_upload(), alt_text="")
    assert not Image.objects.exists()
    assert not (media_root / "images").exists()


def test_renditions_are_made_once_at_each_width_in_three_formats():
    image = image_create(file=make_upload(size=(500, 300)), alt_text="A treatment room")
    assert image.width == 500 and image.height == 300
    # 640 is wider than the original: the original's own width instead, no upscale.
    assert image.renditions["widths"] == [160, 320, 500]
    html = picture_html(image, sizes="50vw")
    for fmt, mime in (("avif", "image/avif"), ("webp", "image/webp")):
        source = re.search(rf'<source type="{mime}" srcset="([^"]+)" sizes="50vw">', html)
        assert source, html
        urls = [part.strip().split(" ")[0] for part in source.group(1).split(",")]
        assert [url.rsplit("-", 1)[1] for url in urls] == [f"160.{fmt}", f"320.{fmt}", f"500.{fmt}"]
        assert _open(urls[0]).format == fmt.upper()
        assert _open(urls[1]).size == (320, 192)
    img = re.search(r'<img src="([^"]+\.jpg)" srcset="([^"]+)" sizes="50vw"', html)
    assert img, html
    assert _open(img.group(1)).format == "JPEG"


def test_saving_again_without_a_new_file_does_not_redo_the_renditions(monkeypatch):
    image = image_create(file=make_upload(), alt_text="A treatment room")
    calls = []
    monkeypatch.setattr("images.services.make_renditions", lambda img: calls.append(img))
    image.caption = "Room one"
    image_save(image=image)
    assert calls == []


def test_a_replaced_file_gets_new_renditions_and_the_old_ones_go(
    django_capture_on_commit_callbacks,
):
    image = image_create(file=make_upload(name="one.png"), alt_text="A treatment room")
    old_name = image.renditions["key"] + "-160.webp"
    assert default_storage.exists(old_name)
    image.file.save("two.png", make_upload(name="two.png", colour=(200, 10, 10)), save=False)
    with django_capture_on_commit_callbacks(execute=True):
        image_save(image=image)
    assert image.renditions["key"] + "-160.webp" != old_name
    assert default_storage.exists(image.renditions["key"] + "-160.webp")
    assert not default_storage.exists(old_name)


def test_the_lcp_image_is_fetched_early_and_the_others_lazily():
    image = image_create(file=make_upload(), alt_text="A treatment room")
    lcp = picture_html(image, priority=True)
    assert 'fetchpriority="high"' in lcp and 'loading="lazy"' not in lcp
    other = picture_html(image)
    assert 'loading="lazy"' in other and "fetchpriority" not in other
    assert 'decoding="async"' in other
    assert 'width="500" height="300" alt="A treatment room"' in other


def test_template_tag_renders_what_the_function_renders():
    image = image_create(file=make_upload(), alt_text="A <treatment> room")
    html = Template('{% load images_tags %}{% picture image sizes="20rem" priority=True %}').render(
        Context({"image": image})
    )
    assert html == picture_html(image, sizes="20rem", priority=True)
    assert "A &lt;treatment&gt; room" in html


def test_social_crop_is_1200_by_630():
    image = image_create(file=make_upload(size=(900, 900)), alt_text="A treatment room")
    assert _open(social_image_path(image)).size == (1200, 630)


def test_an_image_without_renditions_falls_back_to_the_original():
    image = Image.objects.create(file="images/old.png", alt_text="Old", width=10, height=5)
    html = picture_html(image)
    assert html.startswith('<img src="/media/images/old.png" width="10" height="5" alt="Old"')
    assert social_image_path(image) is None


def test_admin_requires_alt_text_or_decorative(admin_client):
    response = admin_client.post(
        "/admin/images/image/add/",
        {"file": make_upload(), "alt_text": "", "caption": "", "credit": ""},
    )
    assert response.status_code == 200
    assert "mark it decorative" in response.content.decode()
    assert not Image.objects.exists()


def test_admin_upload_makes_the_renditions(admin_client):
    response = admin_client.post(
        "/admin/images/image/add/",
        {"file": make_upload(), "alt_text": "The waiting room", "caption": "", "credit": ""},
    )
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.renditions["widths"] == [160, 320, 500]
    assert default_storage.exists(image.renditions["key"] + "-500.avif")


def _lead_image_article(alt_text: str):
    from tests.articles.conftest import make_article

    image = image_create(file=make_upload(), alt_text=alt_text)
    return make_article(title="Heel pain at work", lead_image=image), image


def _admin_fields(image: Image, **changes) -> dict:
    fields = {"alt_text": image.alt_text, "caption": image.caption, "credit": image.credit}
    return {**fields, **changes}


def test_a_new_text_alternative_shows_at_once_on_cached_pages(
    admin_client, client, clinic, django_capture_on_commit_callbacks
):
    article, image = _lead_image_article("A runner stretching a calf")
    client.get(article.get_absolute_url())
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/images/image/{image.pk}/change/",
            _admin_fields(image, alt_text="A physiotherapist taping an ankle"),
        )
    assert response.status_code == 302

    page = client.get(article.get_absolute_url()).content.decode()
    assert 'alt="A physiotherapist taping an ankle"' in page
    assert "A runner stretching a calf" not in page


def test_a_deleted_image_leaves_cached_pages_at_once(
    admin_client, client, clinic, django_capture_on_commit_callbacks
):
    article, image = _lead_image_article("A runner stretching a calf")
    assert (
        'alt="A runner stretching a calf"'
        in client.get(article.get_absolute_url()).content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/images/image/{image.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302

    assert not Image.objects.exists()
    assert (
        "A runner stretching a calf" not in client.get(article.get_absolute_url()).content.decode()
    )


def test_deleting_images_from_the_list_leaves_cached_pages_at_once(
    admin_client, client, clinic, django_capture_on_commit_callbacks
):
    article, image = _lead_image_article("A runner stretching a calf")
    client.get(article.get_absolute_url())

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/images/image/",
            {"action": "delete_selected", "_selected_action": [image.pk], "post": "yes"},
        )

    assert not Image.objects.exists()
    assert (
        "A runner stretching a calf" not in client.get(article.get_absolute_url()).content.decode()
    )


def test_a_new_text_alternative_of_the_home_page_picture_shows_at_once(
    admin_client, client, clinic, django_capture_on_commit_callbacks
):
    clinic.photo = image_create(file=make_upload(), alt_text="The front of the clinic")
    clinic.save()
    forget_clinic()
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/admin/images/image/{clinic.photo.pk}/change/",
            _admin_fields(clinic.photo, alt_text="The treatment room with its two couches"),
        )

    page = client.get("/").content.decode()
    assert 'alt="The treatment room with its two couches"' in page
    assert "The front of the clinic" not in page


def test_a_figure_puts_the_caption_and_credit_under_the_picture_escaped():
    image = image_create(
        file=make_upload(),
        alt_text="The waiting room",
        caption="Our <new> room",
        credit="Photo: A & B",
    )

    html = figure_html(image, sizes="50vw", priority=True)

    assert html.startswith('<figure class="image-figure"><picture>')
    assert 'fetchpriority="high"' in html and 'sizes="50vw"' in html
    assert html.endswith(
        '<figcaption>Our &lt;new&gt; room <span class="image-figure__credit">'
        "Photo: A &amp; B</span></figcaption></figure>"
    )


@pytest.mark.parametrize(
    ("caption", "credit", "figcaption"),
    [
        ("", "", None),
        ("Our room", "", "<figcaption>Our room</figcaption>"),
        (
            "",
            "Photo: A",
            '<figcaption><span class="image-figure__credit">Photo: A</span></figcaption>',
        ),
    ],
)
def test_a_figure_shows_what_the_image_has(caption, credit, figcaption):
    image = image_create(
        file=make_upload(), alt_text="The waiting room", caption=caption, credit=credit
    )
    html = figure_html(image)
    if figcaption is None:
        assert html == picture_html(image)
    else:
        assert figcaption in html


def test_the_article_page_shows_the_lead_images_credit(client, clinic):
    from tests.articles.conftest import make_article

    image = image_create(file=make_upload(), alt_text="A calf stretch", credit="Photo: Jo Bloggs")
    article = make_article(lead_image=image)

    html = client.get(article.get_absolute_url()).content.decode()

    assert re.search(r'<figure class="image-figure"><picture>.*?alt="A calf stretch"', html, re.S)
    assert '<span class="image-figure__credit">Photo: Jo Bloggs</span>' in html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("caption", "x" * 5000),
        ("caption", "Our room\x00"),
        ("credit", "y" * 5000),
        ("credit", "Photo\x00: A"),
        ("alt_text", "\x00"),
    ],
)
def test_junk_in_the_image_admin_gets_a_message_and_changes_nothing(admin_client, field, value):
    image = image_create(file=make_upload(), alt_text="The waiting room", caption="Before")

    response = admin_client.post(
        f"/admin/images/image/{image.pk}/change/", _admin_fields(image, **{field: value})
    )

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    image.refresh_from_db()
    assert (image.alt_text, image.caption, image.credit) == ("The waiting room", "Before", "")


def test_deleting_an_image_removes_its_files_once_the_delete_commits(
    django_capture_on_commit_callbacks,
):
    image = image_create(file=make_upload(), alt_text="The waiting room")
    names = [image.file.name, image.renditions["key"] + "-500.avif", social_image_path(image)]
    names[2] = names[2].removeprefix("/media/")
    assert all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image_delete(image=image)
    assert all(default_storage.exists(name) for name in names)  # not before the commit

    for callback in callbacks:
        callback()
    assert not any(default_storage.exists(name) for name in names)


def test_deleting_one_of_two_rows_of_a_shared_original_keeps_the_file(
    django_capture_on_commit_callbacks,
):
    first = image_create(file=make_upload(), alt_text="The waiting room")
    second = Image.objects.create(
        file=first.file.name, alt_text="The waiting room", width=first.width, height=first.height
    )

    with django_capture_on_commit_callbacks(execute=True):
        image_delete(image=second)

    assert default_storage.exists(first.file.name)
