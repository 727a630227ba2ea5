"""The one module that knows every app."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from articles.sitemaps import (
    ArticleSitemap,
    ConditionPageSitemap,
    ContentIndexSitemap,
    ServicePageSitemap,
)
from articles.views import HomeView
from booking.selectors import email_queue_report
from booking.sitemaps import BookingPagesSitemap, PractitionerSitemap
from clinic import views
from clinic.sitemaps import StaticPagesSitemap
from images.views import media

sitemaps = {
    "pages": StaticPagesSitemap,
    "content": ContentIndexSitemap,
    "articles": ArticleSitemap,
    "services": ServicePageSitemap,
    "conditions": ConditionPageSitemap,
    "booking": BookingPagesSitemap,
    "team": PractitionerSitemap,
}

handler500 = "clinic.views.server_error"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("privacy/", views.PrivacyNoticeView.as_view(), name="privacy"),
    path("healthz", views.healthz, {"extra": email_queue_report}, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("admin/", admin.site.urls),
    path("", include("booking.urls")),
    path("", include("articles.urls")),
]

if settings.SERVE_MEDIA:
    # Uploaded images from the app itself (make run); production serves
    # MEDIA_URL from the web server or object storage (docs/deployment.md).
    urlpatterns.insert(0, path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media, name="media"))
