import pytest

from articles.markdown import render_markdown


def test_markdown_renders_headings_lists_and_links():
    html = render_markdown("## Title\n\n- one\n- two\n\n[book](https://clinic.example/book/)")
    assert "<h2>Title</h2>" in html
    assert "<li>one</li>" in html
    assert 'href="https://clinic.example/book/"' in html


def test_script_tags_and_their_content_are_removed():
    html = render_markdown("Hello <script>alert('x')</script> world")
    assert "<script" not in html.lower()
    assert "alert" not in html


def test_event_handler_attributes_are_removed():
    html = render_markdown(
        '<img src="x.png" alt="x" onerror="alert(1)"> <p onclick="steal()">hi</p>'
    )
    assert "onerror" not in html
    assert "onclick" not in html
    assert "alert" not in html


@pytest.mark.parametrize(
    "link",
    [
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        '<a href="JaVaScRiPt:alert(1)">click</a>',
        '<a href="  javascript:alert(1)">click</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">click</a>',
        '<a href="vbscript:msgbox(1)">click</a>',
    ],
)
def test_dangerous_link_schemes_are_dropped(link):
    html = render_markdown(link).lower()
    assert "javascript:" not in html
    assert "data:" not in html
    assert "vbscript:" not in html
    assert "click" in html


def test_html_comments_are_stripped():
    html = render_markdown("Visible <!-- secret note --> text")
    assert "secret" not in html
    assert "<!--" not in html


def test_iframes_styles_and_forms_are_removed():
    html = render_markdown(
        '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>'
        '<form action="https://evil.example"><input name="card"></form><svg onload="x()"></svg>'
    )
    for fragment in ["<iframe", "<style", "display:none", "<form", "<input", "<svg", "onload"]:
        assert fragment not in html.lower()


def test_style_attributes_are_removed_so_the_csp_is_not_tripped():
    html = render_markdown('<p style="color:red">red</p>')
    assert "style=" not in html
    assert "red" in html


def test_links_get_a_safe_rel():
    html = render_markdown("[site](https://example.org)")
    assert 'rel="noopener noreferrer"' in html


def test_a_huge_body_renders_without_error():
    body = ("word " * 20 + "\n\n") * 3000  # about 300,000 characters
    html = render_markdown(body)
    assert html.count("<p>") == 3000


def test_deeply_nested_markup_is_cleaned_not_crashed():
    body = "<div>" * 2000 + "<script>x()</script>" + "</div>" * 2000
    html = render_markdown(body)
    assert "<script" not in html and "<div" not in html
