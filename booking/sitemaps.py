from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from booking.models import Practitioner


class PractitionerSitemap(Sitemap):
    """The "Our team" pages."""

    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return Practitioner.objects.active().order_by("sort_order", "pk")


class BookingPagesSitemap(Sitemap):
    """The booking start page and the team list (the later steps are not indexed)."""

    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return ["booking:start", "booking:practitioner_list"]

    def location(self, item):
        return reverse(item)
