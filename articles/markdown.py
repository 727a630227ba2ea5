"""Markdown written by staff, rendered to HTML that is safe to show to patients.

Markdown passes raw HTML through, so the output is cleaned with nh3 (the Rust
ammonia sanitiser) against an allow-list: no scripts, no event-handler
attributes, no ``javascript:`` or ``data:`` links, no comments.
"""

from functools import lru_cache

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

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
