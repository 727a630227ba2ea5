from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ConditionPage, ServicePage


class ContentIndexSitemap(Sitemap):
    """The list pages and the search page of the content app."""

    changefreq = "weekly"

    def items(self):
        return ["articles:article_list", "articles:service_list", "articles:condition_list"]

    def location(self, item):
        return reverse(item)


class _PublishedSitemap(Sitemap):
    model = None

    def items(self):
        return (
            self.model.objects.published(now=timezone.now())
            .only("slug", "updated_at")
            .order_by("pk")
        )

    def lastmod(self, item):
        return item.updated_at


class ArticleSitemap(_PublishedSitemap):
    model = Article
    changefreq = "monthly"


class ServicePageSitemap(_PublishedSitemap):
    model = ServicePage
    changefreq = "monthly"
    priority = 0.8


class ConditionPageSitemap(_PublishedSitemap):
    model = ConditionPage
    changefreq = "monthly"
    priority = 0.7
