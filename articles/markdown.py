"""Markdown written by staff, rendered to HTML that is safe to show to patients.

Markdown passes raw HTML through, so the output is cleaned with nh3 (the Rust
ammonia sanitiser) against an allow-list: no scripts, no event-handler
attributes, no ``javascript:`` or ``data:`` links, no comments.

Images come from the clinic's own library: ``![alt](image:42)`` becomes the
library image's ``<picture>`` (images.rendering.picture_html: renditions,
srcset, width and height, lazy loading), with its caption and credit under it
when it stands in a paragraph of its own. Only such references and images on
our own site survive cleaning; an unknown reference renders nothing.
"""

import re
from copy import copy
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

from articles.models import reading_minutes
from images.models import Image
from images.rendering import figure_html, picture_html

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
    "h2", "h3", "h4", "hr", "i", "img", "li", "ol", "p", "pre", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
# "image:" only ever survives as an <img src> reference to the library (below).
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel", "image"}
EXTENSIONS = ["extra", "sane_lists", "smarty"]
IMAGE_REFERENCE = re.compile(r"image:(\d{1,9})")
# An image in an article's text is at most the text column wide.
BODY_IMAGE_SIZES = "(min-width: 48em) 42rem, 100vw"
_IMG_TAG = re.compile(r"(<img\b[^>]*>)")
# An image that is a paragraph of its own: shown as a figure, with its caption.
_LONE_IMG = re.compile(r"<p>\s*(<img\b[^>]*>)\s*</p>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


def _own_sources_only(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: images come from the library or our own site."""
    if attribute == "href" and value.strip().lower().startswith("image:"):
        return None  # a library reference is not a link
    if tag == "img" and attribute == "src":
        value = value.strip()
        if IMAGE_REFERENCE.fullmatch(value):
            return value
        if value.startswith("/") and not value.startswith("//"):
            return value
        if ":" not in value.split("/", 1)[0] and not value.startswith("//"):
            return value  # relative to the page
        return None  # another site's image: a third-party request
    return value


@lru_cache(maxsize=512)
def _render(text: str) -> str:
    html = markdown_lib.markdown(text, extensions=EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        attribute_filter=_own_sources_only,
        strip_comments=True,
        link_rel="noopener noreferrer",
        # Text inside dropped <script>/<style> elements goes too, not only the tags.
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
    )


def image_ids(html: str) -> set[int]:
    """The library images cleaned HTML refers to."""
    return {int(match) for match in re.findall(r'src="image:(\d{1,9})"', html)}


def _embed_images(html: str) -> str:
    """Each ``<img src="image:N">`` becomes that library image's ``<picture>``, in a
    ``<figure>`` with its caption and credit when it is a paragraph of its own; an
    unknown N, or an <img> left without a source, becomes nothing."""
    if "<img" not in html:
        return html
    ids = image_ids(html)
    images = Image.objects.in_bulk(ids) if ids else {}

    def replace(match, *, alone=False):
        attributes = {name: unescape(value) for name, value in _ATTRIBUTE.findall(match[1])}
        source = attributes.get("src", "")
        reference = IMAGE_REFERENCE.fullmatch(source)
        if reference is None:
            return match[0] if source else ""
        image = copy(images.get(int(reference[1])))
        if image is None:
            return ""
        # The writer's words for this page, or the library's own text alternative.
        if attributes.get("alt", "").strip():
            image.alt_text, image.decorative = attributes["alt"].strip(), False
        if alone and (image.caption or image.credit):
            return str(figure_html(image, sizes=BODY_IMAGE_SIZES))
        picture = str(picture_html(image, sizes=BODY_IMAGE_SIZES))
        return f"<p>{picture}</p>" if alone else picture

    html = _LONE_IMG.sub(lambda match: replace(match, alone=True), html)
    return _IMG_TAG.sub(replace, html)


def image_reference(image) -> str:
    """The Markdown that puts a library image in the text: ``![alt](image:42)``."""
    alt = image.alt.replace("[", "(").replace("]", ")").replace("\n", " ")
    return f"![{alt}](image:{image.pk})"


def render_markdown(text: str) -> SafeString:
    """Sanitised HTML for ``text``, library images embedded; the result may be marked safe."""
    # picture_html escapes every value it writes; the rest was cleaned by nh3.
    return mark_safe(_embed_images(_render(text or "")))  # noqa: S308


class _Outline(HTMLParser):
    """Heading levels and images without a text alternative, in document order."""

    def __init__(self):
        super().__init__()
        self.levels: list[int] = []
        # (src, alt) of each image, alt stripped of spaces.
        self.images: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.levels.append(int(tag[1]))
        elif tag == "img":
            found = dict(attrs)
            self.images.append(((found.get("src") or "").strip(), (found.get("alt") or "").strip()))


@dataclass(frozen=True)
class MarkdownReport:
    html: SafeString
    reading_minutes: int
    warnings: list[str]


def markdown_warnings(text: str) -> list[str]:
    """What staff should fix: headings that skip a level, images nobody can read."""
    outline = _Outline()
    outline.feed(markdown_lib.markdown(text or "", extensions=EXTENSIONS))
    warnings = []
    previous = 1  # the page's title is its one level-1 heading
    for level in outline.levels:
        if level == 1:
            warnings.append(
                "A level-1 heading (# …): the title is the page's only one; start with ## …."
            )
        elif level > previous + 1:
            warnings.append(
                f"A level-{level} heading follows a level-{previous} one: "
                f"use {'#' * (previous + 1)} … so no level is skipped."
            )
        previous = max(level, 1)
    references = {
        int(match[1]): src
        for src, _alt in outline.images
        if (match := IMAGE_REFERENCE.fullmatch(src))
    }
    library = Image.objects.in_bulk(references) if references else {}
    unknown = sorted(src for number, src in references.items() if number not in library)
    if unknown:
        warnings.append(
            f"Not in the image library, so not shown: {', '.join(unknown)}. "
            "Copy the reference from the image's page in the library."
        )
    without_alt = 0
    for src, alt in outline.images:
        match = IMAGE_REFERENCE.fullmatch(src)
        image = library.get(int(match[1])) if match else None
        # A library image brings its own text alternative (or is marked decorative).
        if not alt and (image is None or not (image.decorative or image.alt_text.strip())):
            without_alt += 1 if (match is None or image is not None) else 0
    if without_alt:
        warnings.append(
            f"{without_alt} image(s) without alt text: describe each "
            "in the brackets, ![like this](…)."
        )
    return warnings


def markdown_report(text: str) -> MarkdownReport:
    """The live preview: the public page's HTML, reading time and warnings."""
    return MarkdownReport(
        html=render_markdown(text),
        reading_minutes=reading_minutes(text or ""),
        warnings=markdown_warnings(text),
    )
