from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from clinic.identity import get_clinic

FEED_ITEMS = 20


class LatestArticlesFeed(Feed):
    """RSS 2.0: the newest published articles, never drafts or future-dated ones."""

    def title(self):
        return f"{get_clinic().name}: articles"

    def link(self):
        return reverse("articles:article_list")

    def description(self):
        return "New articles from our physiotherapists about pain, treatment and recovery."

    def items(self):
        return (
            Article.objects.published(now=timezone.now())
            .select_related("author")
            .defer("body", "search_vector")[:FEED_ITEMS]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author.name if item.author else None
