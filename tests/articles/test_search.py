import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Status
from articles.selectors import search

from .conftest import make_article

pytestmark = pytest.mark.django_db


def test_trigger_point_search_lists_the_dry_needling_article_first(client, content):
    response = client.get(reverse("articles:search"), {"q": "trigger point"})
    results = response.context["results"]
    assert results[0].url == content.get_absolute_url()


def test_search_ranks_a_title_match_above_a_body_match(clinic):
    body_match = make_article(title="Recovery", body="A little about shoulders.")
    title_match = make_article(title="Shoulders", body="Nothing else.")
    urls = [result.url for result in search(query="shoulder", now=timezone.now())]
    assert urls.index(title_match.get_absolute_url()) < urls.index(body_match.get_absolute_url())


def test_search_finds_stemmed_words(clinic):
    article = make_article(title="Needles", body="Needling a stiff muscle.")
    urls = [result.url for result in search(query="needle", now=timezone.now())]
    assert article.get_absolute_url() in urls


def test_search_never_lists_drafts(clinic):
    make_article(title="Secret trigger plan", status=Status.DRAFT, published_at=None)
    assert search(query="secret trigger", now=timezone.now()) == []


def test_snippets_highlight_matches_and_escape_stored_markup(client, clinic):
    make_article(title="Heel", body="The heel <b onmouseover=x()>hurts</b> in the morning.")
    response = client.get(reverse("articles:search"), {"q": "morning"})
    snippet = str(response.context["results"][0].snippet)
    assert "<mark>morning</mark>" in snippet
    assert "<b" not in snippet
    assert "&lt;b onmouseover" in snippet


def test_a_ten_thousand_character_query_returns_an_ordinary_page(client, clinic):
    make_article()
    response = client.get(reverse("articles:search"), {"q": "pain " * 2000})
    assert response.status_code == 200
    assert "Search" in response.content.decode()


@pytest.mark.parametrize("query", ["!!!", "&|!()<>:*", "'\"", "-", "   ", "\x00"])
def test_punctuation_only_queries_return_an_ordinary_page(client, clinic, query):
    make_article()
    response = client.get(reverse("articles:search"), {"q": query})
    assert response.status_code == 200
    assert response.context["results"] == []


def test_tsquery_operators_in_words_are_treated_as_text(client, clinic):
    # Read as tsquery syntax, "!pain" would rule the article out; as text it is one more word.
    article = make_article(title="Back pain", body="Back pain that spreads to the hip.")
    make_article(title="Knee", body="Nothing about the lower back.")
    response = client.get(reverse("articles:search"), {"q": "back & !pain | (hip"})
    assert response.status_code == 200
    assert [result.url for result in response.context["results"]] == [article.get_absolute_url()]
    body = response.content.decode()
    assert 'value="back &amp; !pain | (hip"' in body
    assert "back & !pain" not in body


def test_markup_in_the_query_is_shown_as_text(client, clinic):
    make_article(title="Neck")
    response = client.get(reverse("articles:search"), {"q": '<b onmouseover="x()">neck</b>'})
    body = response.content.decode()
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;neck&lt;/b&gt;" in body
    assert "<b onmouseover" not in body


def test_empty_search_page_shows_the_form_without_results(client, clinic):
    response = client.get(reverse("articles:search"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label for="search-q"' in body
    assert "No results" not in body


def test_snippets_show_plain_text_not_markdown_syntax(client, clinic):
    make_article(
        title="Heel", body="## Morning pain\n\nRead [about **morning** heels](/articles/x/)."
    )
    response = client.get(reverse("articles:search"), {"q": "morning"})
    snippet = str(response.context["results"][0].snippet)
    for syntax in ["##", "**", "](", "/articles/x/"]:
        assert syntax not in snippet
    assert "<mark>morning</mark>" in snippet
