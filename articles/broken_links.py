"""Internal links in published content, and the ones that lead nowhere.

Read by ``manage.py check_links`` and by the admin's "Broken internal links"
page, so both list the same links. A fixed number of queries whatever the
amount of content: every published page is read once, and every known
address (public pages and old addresses that still redirect) once.
"""

from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import Resolver404, resolve, reverse

from articles.markdown import render_markdown
from articles.models import Article, ConditionPage, ContentRedirect, ServicePage

CONTENT_MODELS = (Article, ServicePage, ConditionPage)
# The URL names whose pages exist only while a published page has that slug.
_DETAIL_URLS = {
    "articles:article_detail": Article,
    "articles:service_detail": ServicePage,
    "articles:condition_detail": ConditionPage,
}


@dataclass(frozen=True)
class BrokenLink:
    page: Article | ServicePage | ConditionPage
    field: str
    url: str
    reason: str

    @property
    def admin_url(self) -> str:
        opts = type(self.page)._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.page.pk])

    @property
    def field_label(self) -> str:
        return str(type(self.page)._meta.get_field(self.field).verbose_name)


class _Hrefs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _own_hosts() -> set[str]:
    hosts = {urlsplit(settings.SITE_URL).netloc.lower()}
    hosts.update(host.lower() for host in settings.ALLOWED_HOSTS if host and host != "*")
    return hosts


def internal_path(href: str, *, own_hosts: set[str]) -> str | None:
    """The path of a link to this site, or None for links elsewhere (and anchors)."""
    parts = urlsplit(href.strip())
    if parts.scheme in ("", "http", "https") and parts.netloc:
        return (parts.path or "/") if parts.netloc.lower() in own_hosts else None
    if parts.scheme or not parts.path.startswith("/"):
        return None  # mailto:, tel:, relative or a #fragment only
    return parts.path


def links_in(markdown_text: str) -> list[str]:
    """The link targets of Markdown as patients get it (after nh3)."""
    parser = _Hrefs()
    parser.feed(str(render_markdown(markdown_text)))
    return parser.hrefs


def _known_addresses(*, now: datetime) -> tuple[set[tuple[type, str]], set[str]]:
    """(model, slug) of every public page; old addresses whose page is still public."""
    public, public_ids = set(), set()
    for model in CONTENT_MODELS:
        content_type = ContentType.objects.get_for_model(model)
        for pk, slug in model.objects.published(now=now).values_list("pk", "slug"):
            public.add((model, slug))
            public_ids.add((content_type.pk, pk))
    redirected = {
        old_path
        for old_path, *target in ContentRedirect.objects.values_list(
            "old_path", "content_type_id", "object_id"
        )
        if tuple(target) in public_ids
    }
    return public, redirected


def why_broken(path: str, *, public: set, redirected: set[str]) -> str | None:
    """None when ``path`` answers; otherwise what is wrong with it, in staff's words."""
    try:
        match = resolve(path)
    except Resolver404:
        return "No page has this address."
    model = _DETAIL_URLS.get(match.view_name)
    if model is None or (model, match.kwargs.get("slug")) in public:
        return None
    if path in redirected:
        return None  # an old address that still leads to its page
    return f"No published {model._meta.verbose_name} has this address."


def broken_links(*, now: datetime) -> list[BrokenLink]:
    """Every internal link in published content that leads nowhere, page by page."""
    public, redirected = _known_addresses(now=now)
    own_hosts = _own_hosts()
    broken = []
    for model in CONTENT_MODELS:
        pages = model.objects.published(now=now).only("pk", "title", "slug", *model.markdown_fields)
        for page in pages.order_by("title", "pk"):
            for field in model.markdown_fields:
                for href in links_in(getattr(page, field)):
                    path = internal_path(href, own_hosts=own_hosts)
                    if path is None:
                        continue
                    reason = why_broken(path, public=public, redirected=redirected)
                    if reason:
                        broken.append(BrokenLink(page=page, field=field, url=href, reason=reason))
    return broken
