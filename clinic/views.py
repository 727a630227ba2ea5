import sys

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from clinic import structured_data
from clinic.health import health
from clinic.identity import get_clinic


@never_cache
@require_GET
def healthz(request, extra=None):
    """For load balancers and monitoring: 200 when the database, cache and task queue answer.

    503 names what is down. The body always carries the task backlog and, from
    `extra` (clinic/urls.py passes the booking e-mail queue), the oldest queued
    e-mail's age. Nothing here needs the cache or the database to answer.
    """
    healthy, report = health(timezone.now(), extra)
    return JsonResponse(report, status=200 if healthy else 503)


def server_error(request):
    """The branded error page; 503 with Retry-After when the database is unreachable.

    Rendered from a template that needs no request context, database or cache.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponseServerError(loader.render_to_string("500.html"))


@require_GET
def robots_txt(request):
    sitemap_url = request.build_absolute_uri(reverse("sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /book/manage/",
        f"Sitemap: {sitemap_url}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


class PrivacyNoticeView(TemplateView):
    template_name = "clinic/privacy.html"

    def get_context_data(self, **kwargs):
        clinic = get_clinic()
        return super().get_context_data(
            jsonld=structured_data.web_page(
                self.request,
                clinic,
                page_type="WebPage",
                name="Privacy notice",
                description=f"How {clinic.name} looks after the personal details you give us.",
                crumbs=[("Home", reverse("home")), ("Privacy notice", reverse("privacy"))],
            ),
            **kwargs,
        )


@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico whatever the page says; send them to the hashed file.
    return HttpResponseRedirect(static("img/favicon.svg"))
