"""An article's table of contents, from the second-level headings of its body."""

import re
from dataclasses import dataclass
from html import unescape

from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

_H2 = re.compile(r"<h2>(.*?)</h2>", re.S)


@dataclass(frozen=True)
class Heading:
    anchor: str
    text: str


def with_contents(html: SafeString) -> tuple[SafeString, list[Heading]]:
    """Give each ``<h2>`` of sanitised HTML an id; return the HTML and the list.

    The ids are slugs (letters, digits and hyphens only), so adding them to
    HTML that nh3 already cleaned keeps it clean.
    """
    headings: list[Heading] = []
    used: set[str] = set()

    def anchor(match: re.Match) -> str:
        text = unescape(strip_tags(match.group(1))).strip()
        base = "section-" + (slugify(text)[:60] or str(len(headings) + 1))
        slug, number = base, 2
        while slug in used:
            slug, number = f"{base}-{number}", number + 1
        used.add(slug)
        headings.append(Heading(anchor=slug, text=text))
        return f'<h2 id="{slug}">{match.group(1)}</h2>'

    body = _H2.sub(anchor, str(html))
    return mark_safe(body), headings  # noqa: S308 - sanitised input, slug ids
