"""Markdown written by staff, rendered to HTML that is safe to show to patients.

Markdown passes raw HTML through, so the output is cleaned with nh3 (the Rust
ammonia sanitiser) against an allow-list: no scripts, no event-handler
attributes, no ``javascript:`` or ``data:`` links, no comments.
"""

from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

from articles.models import reading_minutes

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
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}
EXTENSIONS = ["extra", "sane_lists", "smarty"]


@lru_cache(maxsize=512)
def _render(text: str) -> str:
    html = markdown_lib.markdown(text, extensions=EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        strip_comments=True,
        link_rel="noopener noreferrer",
        # Text inside dropped <script>/<style> elements goes too, not only the tags.
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
    )


def render_markdown(text: str) -> SafeString:
    """Sanitised HTML for ``text``; the result may be marked safe."""
    return mark_safe(_render(text or ""))  # noqa: S308 - cleaned by nh3 above


class _Outline(HTMLParser):
    """Heading levels and images without a text alternative, in document order."""

    def __init__(self):
        super().__init__()
        self.levels: list[int] = []
        self.images_without_alt = 0

    def handle_starttag(self, tag, attrs):
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.levels.append(int(tag[1]))
        elif tag == "img" and not (dict(attrs).get("alt") or "").strip():
            self.images_without_alt += 1


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
    if outline.images_without_alt:
        warnings.append(
            f"{outline.images_without_alt} image(s) without alt text: describe each "
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
