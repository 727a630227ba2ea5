"""Library images in Markdown: ![alt](image:42) renders the library's <picture>, nothing else."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from articles.markdown import image_reference, markdown_warnings, render_markdown
from images.services import image_create
from tests.images.conftest import make_upload

from .conftest import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMAGE_RENDITION_WIDTHS = [160, 320, 640]


@pytest.fixture
def knee():
    return image_create(file=make_upload(size=(800, 500)), alt_text="A physio testing a knee")


def test_a_reference_renders_the_library_picture_with_srcset_size_and_lazy_loading(knee):
    html = render_markdown(f"Before.\n\n![](image:{knee.pk})\n\nAfter.")
    assert "<picture>" in html and '<source type="image/avif"' in html
    img = re.search(r"<img [^>]*>", html)[0]
    assert 'alt="A physio testing a knee"' in img
    assert 'width="800" height="500"' in img
    assert 'loading="lazy"' in img
    assert re.search(r'srcset="[^"]+160w, [^"]+320w, [^"]+640w"', img)
    assert "image:" not in html


def test_the_writers_alt_text_wins_and_is_escaped(knee):
    html = render_markdown(f'![Knee test "before" <b>surgery</b>](image:{knee.pk})')
    assert 'alt="Knee test &quot;before&quot; &lt;b&gt;surgery&lt;/b&gt;"' in html
    assert "<b>" not in html


def test_a_decorative_library_image_has_an_empty_alt():
    pattern = image_create(file=make_upload(), decorative=True)
    assert 'alt=""' in render_markdown(f"![](image:{pattern.pk})")


@pytest.mark.parametrize(
    "text",
    [
        "![x](image:999999)",
        "![x](image:abc)",
        "![x](image:-1)",
        '<img src="image:999999" onerror="alert(1)">',
        '<img src="image:1 onerror=alert(1)">',
        "![x](https://tracker.example/pixel.png)",
        '<img src="//tracker.example/p.png">',
        '<img src="javascript:alert(1)">',
        "[a link](image:1)",
    ],
)
def test_unknown_or_foreign_references_render_nothing_harmful(text):
    html = render_markdown(text)
    for bad in ("<img", "<picture", "onerror", "alert", "tracker.example", "image:", "javascript"):
        assert bad not in html, (bad, html)


@pytest.fixture
def credited():
    return image_create(
        file=make_upload(size=(800, 500)),
        alt_text="A physio taping an ankle",
        caption="Taping supports the ankle <while> it heals.",
        credit="Photo: Sam & Co",
    )


def test_an_image_in_a_paragraph_of_its_own_shows_its_caption_and_credit(credited):
    html = render_markdown(f"Before.\n\n![](image:{credited.pk})\n\nAfter.")
    figure = re.search(r"<figure [^>]*>.*?</figure>", html, re.S)[0]
    assert "<p>" not in figure and "<picture>" in figure
    assert re.search(
        r"<figcaption>Taping supports the ankle &lt;while&gt; it heals\. "
        r'<span class="image-figure__credit">Photo: Sam &amp; Co</span></figcaption>',
        figure,
    )
    assert html.startswith("<p>Before.</p>") and html.endswith("<p>After.</p>")


def test_an_image_within_a_sentence_stays_a_picture_without_its_caption(credited):
    html = render_markdown(f"Here is the taping ![](image:{credited.pk}) we use.")
    assert "<picture>" in html
    assert "<figure" not in html and "Photo: Sam" not in html


def test_an_image_without_caption_or_credit_stays_in_its_paragraph(knee):
    html = render_markdown(f"![](image:{knee.pk})")
    assert html.startswith("<p><picture>") and html.endswith("</picture></p>")
    assert "<figure" not in html


def test_images_on_our_own_site_still_work():
    assert '<img alt="Our logo" src="/static/img/favicon.svg">' in render_markdown(
        "![Our logo](/static/img/favicon.svg)"
    )


def test_an_article_with_images_costs_one_query_for_all_of_them(knee, django_assert_num_queries):
    other = image_create(file=make_upload(), alt_text="A shoulder")
    text = f"![](image:{knee.pk}) ![](image:{other.pk}) ![](image:{knee.pk}) ![](image:404)"
    with django_assert_num_queries(1):
        html = render_markdown(text)
    assert html.count("<picture>") == 3


def test_text_without_images_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        render_markdown("## Plain\n\nNo pictures here.")


def test_the_public_article_page_shows_the_picture(client, clinic, knee):
    article = make_article(body=f"## Knees\n\n{image_reference(knee)}")
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'alt="A physio testing a knee"' in html and "<picture>" in html


def test_warnings_name_unknown_references_but_not_library_images_without_alt(knee):
    assert markdown_warnings(f"![](image:{knee.pk})") == []
    (warning,) = markdown_warnings("![](image:4242)")
    assert "image:4242" in warning


def test_reference_uses_the_library_alt_text(knee):
    assert image_reference(knee) == f"![A physio testing a knee](image:{knee.pk})"


def test_image_choices_list_references_for_staff_who_can_edit_and_see_images(client, knee):
    url = reverse("admin:articles_article_image_choices")
    editor = get_user_model().objects.create_user("ed", password="pw-12345", is_staff=True)
    editor.user_permissions.set(Permission.objects.filter(codename="change_article"))
    client.force_login(editor)
    assert client.get(url).status_code == 403  # may not see the image library
    editor.user_permissions.add(Permission.objects.get(codename="view_image"))
    (choice,) = client.get(url).json()["images"]
    assert choice["reference"] == image_reference(knee)
    assert client.post(url).status_code == 405
    client.logout()
    assert client.get(url).status_code == 302
