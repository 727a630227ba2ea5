import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Status

from .conftest import make_article, make_condition, make_service, make_topic

pytestmark = pytest.mark.django_db


class HeadParser(HTMLParser):
    """Collects what search engines and link previews read from a page."""

    def __init__(self):
        super().__init__()
        self.title = ""
        self.meta = {}
        self.links = {}
        self.jsonld = []
        self.h1_count = 0
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "title":
            self._in = "title"
        elif tag == "meta":
            key = attrs.get("name") or attrs.get("property")
            if key:
                self.meta[key] = attrs.get("content", "")
        elif tag == "link":
            self.links.setdefault(attrs.get("rel"), []).append(attrs)
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in = "jsonld"
        elif tag == "h1":
            self.h1_count += 1

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "jsonld":
            self.jsonld.append(json.loads(data))


def parse(response) -> HeadParser:
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


def public_urls(article, service, condition):
    return [
        reverse("home"),
        reverse("articles:article_list"),
        article.get_absolute_url(),
        reverse("articles:service_list"),
        service.get_absolute_url(),
        reverse("articles:condition_list"),
        condition.get_absolute_url(),
        reverse("articles:search") + "?q=trigger+point",
    ]


def test_every_public_page_has_title_description_canonical_open_graph_and_jsonld(client, content):
    service = content.services.get(slug="dry-needling")
    condition = content.conditions.get(slug="heel-pain")
    for url in public_urls(content, service, condition):
        response = client.get(url)
        assert response.status_code == 200, url
        head = parse(response)
        assert head.title.strip(), url
        assert head.meta.get("description"), url
        canonical = head.links["canonical"][0]["href"]
        assert canonical.startswith("http://testserver/"), url
        for key in ["og:title", "og:description", "og:url", "og:type", "og:site_name"]:
            assert head.meta.get(key), (url, key)
        assert head.links["alternate"][0]["href"] == reverse("articles:feed")
        assert head.jsonld and head.jsonld[0]["@context"] == "https://schema.org", url
        assert head.h1_count == 1, url


def test_home_page_jsonld_describes_a_medical_clinic_with_address_and_hours(client, content):
    head = parse(client.get(reverse("home")))
    graph = head.jsonld[0]["@graph"]
    clinic = next(node for node in graph if node["@type"] == "MedicalClinic")
    assert clinic["address"]["@type"] == "PostalAddress"
    assert clinic["address"]["streetAddress"] == "14 Willow Lane"
    days = {spec["dayOfWeek"] for spec in clinic["openingHoursSpecification"]}
    assert "https://schema.org/Monday" in days
    assert all(
        spec["@type"] == "OpeningHoursSpecification" for spec in clinic["openingHoursSpecification"]
    )


def test_article_jsonld_names_author_reviewer_and_dates(client, content):
    data = parse(client.get(content.get_absolute_url())).jsonld[0]
    assert data["@type"] == "MedicalWebPage"
    assert data["author"] == {
        "@type": "Person",
        "name": "Tom Lindqvist",
        "url": "http://testserver/team/tom-lindqvist/",
        "honorificSuffix": "BSc, MCSP",
        "jobTitle": "Physiotherapist",
    }
    assert data["reviewedBy"]["name"] == "Dr Maya Okafor"
    assert data["lastReviewed"] == content.last_reviewed.isoformat()
    assert data["datePublished"].startswith(content.published_at.date().isoformat()[:4])
    assert data["breadcrumb"]["@type"] == "BreadcrumbList"


def test_jsonld_escapes_markup_in_titles(client, clinic):
    article = make_article(title="Pain </script><script>alert(1)</script> & more")
    body = client.get(article.get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S).group(1)
    assert "<" not in block and ">" not in block
    assert json.loads(block)["name"] == "Pain </script><script>alert(1)</script> & more"


def test_article_page_shows_reviewer_review_date_disclaimer_and_booking_link(client, content):
    body = client.get(content.get_absolute_url()).content.decode()
    assert "Medically reviewed by" in body and "Dr Maya Okafor" in body
    assert content.last_reviewed.strftime("%Y-%m-%d") in body
    assert "not medical advice" in body
    assert 'href="/book/?treatment=dry-needling"' in body
    for heading in ["Areas we commonly treat", "The techniques we use", "Side effects and safety"]:
        assert heading in body


def test_article_page_lists_related_articles_sharing_topics(client, clinic):
    topic = make_topic()
    article = make_article(topics=[topic])
    sibling = make_article(topics=[topic], title="Sibling article")
    make_article(title="Unrelated article")
    body = client.get(article.get_absolute_url()).content.decode()
    assert sibling.title in body
    assert "Unrelated article" not in body


def test_draft_and_future_articles_give_the_branded_404(client, clinic):
    draft = make_article(status=Status.DRAFT)
    future = make_article(published_at=timezone.now() + timedelta(days=1))
    for article in [draft, future]:
        response = client.get(article.get_absolute_url())
        assert response.status_code == 404
        assert "We could not find that page" in response.content.decode()


def test_unknown_slugs_give_404_for_every_content_type(client, clinic):
    for name in ["article_detail", "service_detail", "condition_detail"]:
        assert client.get(reverse(f"articles:{name}", args=["no-such-page"])).status_code == 404


def test_draft_service_and_condition_pages_are_hidden(client, clinic):
    service = make_service(status=Status.DRAFT, published_at=None)
    condition = make_condition(status=Status.DRAFT, published_at=None)
    assert client.get(service.get_absolute_url()).status_code == 404
    assert client.get(condition.get_absolute_url()).status_code == 404
    assert service.title not in client.get(reverse("articles:service_list")).content.decode()


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999", "1.5", "%00", "9" * 400])
def test_malformed_page_numbers_give_404_never_500(client, clinic, page):
    make_article()
    response = client.get(reverse("articles:article_list"), {"page": page})
    assert response.status_code == 404


@pytest.mark.parametrize("topic", ["no-such-topic", "<script>", "x" * 5000, "%00"])
def test_malformed_topic_filters_give_404_never_500(client, clinic, topic):
    response = client.get(reverse("articles:article_list"), {"topic": topic})
    assert response.status_code == 404


def test_article_list_paginates_and_filters_by_topic(client, clinic):
    topic = make_topic(name="Running")
    for _ in range(10):
        make_article()
    tagged = make_article(topics=[topic], title="Running and knees")
    first = client.get(reverse("articles:article_list")).content.decode()
    assert "Page 1 of 2" in first
    filtered = client.get(reverse("articles:article_list"), {"topic": topic.slug})
    assert filtered.status_code == 200
    assert tagged.title in filtered.content.decode()
    assert len(filtered.context["articles"]) == 1


def test_service_page_links_to_booking_with_the_treatment_preselected(
    client, clinic, dry_needling_treatment
):
    service = make_service(treatment=dry_needling_treatment, title="Dry needling")
    body = client.get(service.get_absolute_url()).content.decode()
    assert 'href="/book/?treatment=dry-needling"' in body
    assert "Request this treatment" in body  # dry needling is confirmed by the clinic


def test_service_page_without_a_treatment_links_to_the_booking_start(client, clinic):
    service = make_service(treatment=None)
    assert 'href="/book/"' in client.get(service.get_absolute_url()).content.decode()


def test_condition_page_lists_related_articles_and_services(client, clinic):
    service = make_service(title="Physio for heels")
    condition = make_condition(title="Heel pain")
    condition.services.set([service])
    article = make_article(conditions=[condition], title="Morning heel pain")
    body = client.get(condition.get_absolute_url()).content.decode()
    assert service.title in body and article.title in body


def test_home_page_shows_services_latest_articles_booking_and_hours(client, content):
    body = client.get(reverse("home")).content.decode()
    assert "Dry needling" in body
    assert content.title in body
    assert "Book a session" in body
    assert "Opening hours" in body and "09:00–13:00" in body
