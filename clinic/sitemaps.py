from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class StaticPagesSitemap(Sitemap):
    """Pages that are not database records."""

    changefreq = "monthly"

    def items(self):
        return ["home", "privacy"]

    def location(self, item):
        return reverse(item)
