"""The one way the site shows a library image: a ``<picture>`` element.

``picture_html()`` is called by the ``{% picture %}`` template tag and by any
Python code that needs the same markup (Markdown, e-mails).
"""

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from images.renditions import SOCIAL_SIZE, rendition_name, social_name
from images.social import social_card_url

logger = logging.getLogger(__name__)

# The fallback <img src> is the rendition closest to this width.
FALLBACK_WIDTH = 960


def _srcset(key: str, widths: list[int], fmt: str) -> str:
    return ", ".join(
        f"{default_storage.url(rendition_name(key, width, fmt))} {width}w" for width in widths
    )


def picture_html(
    image,
    *,
    sizes: str = "100vw",
    priority: bool = False,
    css_class: str = "",
    alt: str | None = None,
) -> SafeString:
    """``<picture>`` with AVIF and WebP sources and a JPEG ``<img>``.

    ``priority`` marks the page's largest image (LCP): fetched early with
    ``fetchpriority=high`` and never lazily. Every other image loads lazily.
    ``alt=""`` makes the picture decorative where text beside it says the same.
    """
    alt = image.alt if image is not None and alt is None else alt
    if image is None:
        return SafeString("")
    loading = mark_safe(  # noqa: S308 - constant markup
        'fetchpriority="high" decoding="async"' if priority else 'loading="lazy" decoding="async"'
    )
    class_attr = format_html(' class="{}"', css_class) if css_class else ""
    renditions = image.renditions or {}
    key, widths = renditions.get("key"), renditions.get("widths") or []
    if not key or not widths:
        # Not processed yet (an upload from before the library): the original.
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="{}"{} {}>',
            image.file.url,
            image.width,
            image.height,
            alt,
            class_attr,
            loading,
        )
    fallback = min(widths, key=lambda width: abs(width - FALLBACK_WIDTH))
    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}" sizes="{}">',
        (
            (mime, _srcset(key, widths, fmt), sizes)
            for mime, fmt in (("image/avif", "avif"), ("image/webp", "webp"))
        ),
    )
    return format_html(
        '<picture>{}<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}"{} {}>'
        "</picture>",
        sources,
        default_storage.url(rendition_name(key, fallback, "jpeg")),
        _srcset(key, widths, "jpeg"),
        sizes,
        image.width,
        image.height,
        alt,
        class_attr,
        loading,
    )


def figure_html(image, **picture) -> SafeString:
    """The picture with the library's caption and credit under it, as a ``<figure>``;
    the picture alone when the image has neither. Takes picture_html's options."""
    markup = picture_html(image, **picture)
    if image is None or not (image.caption or image.credit):
        return markup
    credit = format_html('<span class="image-figure__credit">{}</span>', image.credit)
    return format_html(
        '<figure class="image-figure">{}<figcaption>{}{}{}</figcaption></figure>',
        markup,
        image.caption,
        " " if image.caption and image.credit else "",
        credit if image.credit else "",
    )


def social_image_path(image) -> str | None:
    """The storage URL of the image's 1200×630 crop for sharing, if made."""
    renditions = (image.renditions or {}) if image is not None else {}
    if not renditions.get("social"):
        return None
    return default_storage.url(social_name(renditions["key"]))


def _absolute(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else settings.SITE_URL + url


def share_image_html(*, title: str, image=None, site_name: str) -> SafeString:
    """The page's sharing picture as Open Graph and Twitter card tags."""
    url = social_image_path(image)
    if url is not None:
        alt = image.alt or title
    else:
        try:
            url = social_card_url(title=title, site_name=site_name)
        except OSError:
            # Storage refused the new card: the page still renders, unshared.
            logger.warning("Could not store the social card for %r.", title, exc_info=True)
            return SafeString("")
        alt = f"{title} · {site_name}" if site_name else title
    width, height = SOCIAL_SIZE
    return format_html(
        '<meta property="og:image" content="{url}">'
        '<meta property="og:image:type" content="{type}">'
        '<meta property="og:image:width" content="{width}">'
        '<meta property="og:image:height" content="{height}">'
        '<meta property="og:image:alt" content="{alt}">'
        '<meta name="twitter:card" content="summary_large_image">'
        '<meta name="twitter:image" content="{url}">'
        '<meta name="twitter:image:alt" content="{alt}">',
        url=_absolute(url),
        type="image/png" if url.endswith(".png") else "image/jpeg",
        width=width,
        height=height,
        alt=alt,
    )
