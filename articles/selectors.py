"""Reads for the public pages: each costs a fixed number of queries."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import (
    SEARCH_CONFIG,
    Article,
    ConditionPage,
    ContentRedirect,
    ServicePage,
    Status,
    Topic,
)

MAX_QUERY_CHARS = 200
SEARCH_RESULTS_PER_KIND = 30
_MARK_START, _MARK_STOP = "\x02", "\x03"
_WORD = re.compile(r"\w", re.UNICODE)


def published_services(*, now: datetime) -> QuerySet[ServicePage]:
    return ServicePage.objects.published(now=now).select_related("treatment", "lead_image")


def published_conditions(*, now: datetime) -> QuerySet[ConditionPage]:
    return ConditionPage.objects.published(now=now).select_related("lead_image")


def article_cards(*, now: datetime) -> QuerySet[Article]:
    """Published articles with what a list card shows: author and topics."""
    return (
        Article.objects.published(now=now)
        .select_related("author", "lead_image")
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.order_by("name")))
        .defer("search_vector")
    )


def topics_in_use(*, now: datetime) -> QuerySet[Topic]:
    """Topics with at least one published article, for the list filter."""
    return (
        Topic.objects.filter(articles__in=Article.objects.published(now=now))
        .annotate(article_count=Count("articles", distinct=True))
        .order_by("name")
    )


def article_for_page(*, slug: str, now: datetime | None, public: bool = True) -> Article:
    """One article with everything its page shows; drafts only when ``public`` is off."""
    queryset = Article.objects.all() if not public else Article.objects.published(now=now)
    return (
        queryset.select_related("author", "reviewer", "lead_image")
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.order_by("name")),
            Prefetch("services", queryset=published_services(now=now)),
            Prefetch("conditions", queryset=published_conditions(now=now)),
        )
        .get(slug=slug)
    )


def related_articles(*, article: Article, now: datetime, limit: int = 3) -> list[Article]:
    """Published articles sharing most topics or conditions with ``article``."""
    topic_ids = [topic.pk for topic in article.topics.all()]
    condition_ids = [condition.pk for condition in article.conditions.all()]
    # An empty ``__in`` would make the whole query empty, so count only what exists.
    counts = [
        Count(field, filter=Q(**{f"{field}__in": ids}), distinct=True)
        for field, ids in (("topics", topic_ids), ("conditions", condition_ids))
        if ids
    ]
    if not counts:
        return []
    shared = counts[0] if len(counts) == 1 else counts[0] + counts[1]
    return list(
        article_cards(now=now)
        .exclude(pk=article.pk)
        .annotate(shared=shared)
        .filter(shared__gt=0)
        .order_by("-shared", "-published_at")[:limit]
    )


def service_for_page(*, slug: str, now: datetime | None, public: bool = True) -> ServicePage:
    queryset = ServicePage.objects.all() if not public else ServicePage.objects.published(now=now)
    return (
        queryset.select_related("treatment", "lead_image")
        .prefetch_related(
            Prefetch("conditions", queryset=published_conditions(now=now)),
            Prefetch(
                "articles",
                queryset=article_cards(now=now).order_by("-published_at")[:6],
                to_attr="latest_articles",
            ),
        )
        .get(slug=slug)
    )


def condition_for_page(*, slug: str, now: datetime | None, public: bool = True) -> ConditionPage:
    queryset = (
        ConditionPage.objects.all() if not public else ConditionPage.objects.published(now=now)
    )
    return (
        queryset.select_related("lead_image")
        .prefetch_related(
            Prefetch("services", queryset=published_services(now=now)),
            Prefetch(
                "articles",
                queryset=article_cards(now=now).order_by("-published_at")[:6],
                to_attr="latest_articles",
            ),
        )
        .get(slug=slug)
    )


# Search --------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    kind: str
    title: str
    url: str
    snippet: SafeString
    rank: float


def clean_search_query(raw: str) -> str:
    """Trim what a visitor typed to something PostgreSQL can search for."""
    text = " ".join((raw or "").split())[:MAX_QUERY_CHARS]
    return text if _WORD.search(text) else ""


_MARKDOWN_NOISE = [
    (re.compile(r"\]\([^)\s]*\)?"), ""),  # the address part of [text](address)
    (re.compile(r"(?m)^\s*(#{1,6}|[-*+]|\d+\.)\s+"), ""),  # headings and list markers
    (re.compile(r"#{1,6}\s+|[*_`\[]+"), ""),  # emphasis, code and stray heading marks
    (re.compile(r"\s+"), " "),
]


def _snippet(headline: str) -> SafeString:
    """Plain text from the Markdown source: escaped, with only our markers as <mark>."""
    text = headline
    for pattern, replacement in _MARKDOWN_NOISE:
        text = pattern.sub(replacement, text)
    text = text.strip()
    if text and text[0].islower():
        text = "… " + text
    if text and text[-1] not in ".!?…":
        text += " …"
    text = escape(text).replace(_MARK_START, "<mark>").replace(_MARK_STOP, "</mark>")
    return mark_safe(text)  # noqa: S308 - every character of the document was escaped


def search(*, query: str, now: datetime) -> list[SearchResult]:
    """Published articles, services and conditions matching ``query``, best first."""
    query = clean_search_query(query)
    if not query:
        return []
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    headline_options = {
        "config": SEARCH_CONFIG,
        "start_sel": _MARK_START,
        "stop_sel": _MARK_STOP,
        "max_words": 35,
        "min_words": 15,
        "max_fragments": 2,
        "fragment_delimiter": " … ",
    }
    sources = [
        ("Article", Article.objects.published(now=now), "summary", "body"),
        ("Service", ServicePage.objects.published(now=now), "summary", "what_it_is"),
        ("Condition", ConditionPage.objects.published(now=now), "summary", "overview"),
    ]
    results: list[SearchResult] = []
    for kind, queryset, summary_field, text_field in sources:
        matches = (
            queryset.filter(search_vector=search_query)
            .annotate(
                rank=SearchRank(F("search_vector"), search_query),
                snippet=SearchHeadline(text_field, search_query, **headline_options),
                summary_snippet=SearchHeadline(summary_field, search_query, **headline_options),
            )
            .only("title", "slug")
            .order_by("-rank", "-published_at")[:SEARCH_RESULTS_PER_KIND]
        )
        for item in matches:
            text = item.snippet if _MARK_START in item.snippet else item.summary_snippet
            results.append(
                SearchResult(
                    kind=kind,
                    title=item.title,
                    url=item.get_absolute_url(),
                    snippet=_snippet(text),
                    rank=item.rank,
                )
            )
    results.sort(key=lambda result: result.rank, reverse=True)
    return results


def redirect_target(*, path: str, now: datetime) -> str | None:
    """The current address of the page that used to live at ``path``, while it is public."""
    redirect = ContentRedirect.objects.filter(old_path=path).select_related("content_type").first()
    if redirect is None:
        return None
    model = redirect.content_type.model_class()
    if model not in (Article, ServicePage, ConditionPage):
        return None
    page = model.objects.published(now=now).only("slug").filter(pk=redirect.object_id).first()
    return page.get_absolute_url() if page is not None else None


def next_scheduled_publish(*, now: datetime) -> datetime | None:
    """The soonest moment a published-but-future page becomes public, if any (one query)."""
    upcoming = [
        model.objects.filter(status=Status.PUBLISHED, published_at__gt=now)
        .order_by()
        .values_list("published_at", flat=True)
        for model in (Article, ServicePage, ConditionPage)
    ]
    first = upcoming[0].union(*upcoming[1:]).order_by("published_at")[:1]
    return next(iter(first), None)
