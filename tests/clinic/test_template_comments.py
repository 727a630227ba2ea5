"""Django's {# #} comments end on their own line; one that runs on is printed on the page."""

from pathlib import Path

from django.template.loader import render_to_string

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_opens_a_one_line_comment_it_does_not_close_on_that_line():
    unclosed = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file() and path.suffix in {".html", ".txt", ".xml"}
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.count("{#") > line.count("#}")
    ]
    assert unclosed == [], "use {% comment %} for comments over several lines"


def test_the_error_page_shows_no_template_source():
    html = render_to_string("500.html")
    assert "{#" not in html
    assert "{%" not in html
