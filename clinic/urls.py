"""The one module that knows every app."""

from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import TemplateView

from clinic import views
from clinic.sitemaps import StaticPagesSitemap

sitemaps = {
    "pages": StaticPagesSitemap,
}

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("privacy/", views.PrivacyNoticeView.as_view(), name="privacy"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("admin/", admin.site.urls),
    path("", include("booking.urls")),
    path("", include("articles.urls")),
]
