import json

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_shows_clinic_identity_from_the_database(client, clinic):
    clinic.name = "Riverside Test Clinic"
    clinic.phone = "01632 960 999"
    clinic.save()
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Riverside Test Clinic" in body
    assert "01632 960 999" in body
    assert clinic.street_address in body


def test_footer_groups_weekdays_with_the_same_hours(client, clinic):
    body = client.get(reverse("home")).content.decode()
    assert "Monday–Friday" in body
    # Each interval is kept whole, so a narrow column never breaks one at its dash.
    assert (
        '<span class="hours__interval">08:00–13:00</span>'
        '<span class="hours__interval">14:00–19:00</span>'
    ) in body
    assert "Sunday" in body and "Closed" in body


def test_clinic_identity_costs_at_most_one_query_and_then_none(
    client, clinic, django_assert_num_queries
):
    from clinic.identity import get_clinic

    with django_assert_num_queries(1):
        first = get_clinic()
    with django_assert_num_queries(0):
        second = get_clinic()
    assert first.name == second.name == clinic.name
    assert len(first.intervals) == 11


def test_editing_the_clinic_in_admin_shows_at_once(
    admin_client, clinic, client, django_capture_on_commit_callbacks
):
    client.get(reverse("home"))  # warm the cache
    url = reverse("admin:clinic_clinicprofile_change", args=[clinic.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "name": "Renamed Clinic",
            "opening_hours-TOTAL_FORMS": "0",
            "opening_hours-INITIAL_FORMS": "0",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Renamed Clinic" in client.get(reverse("home")).content.decode()


def test_unknown_url_gives_branded_404(client, clinic):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We could not find that page" in body
    assert clinic.name in body


def test_healthz_reports_ok_as_json(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "down": [],
        "database": "ok",
        "tasks": "ok",
        "task_backlog": 0,
        "oldest_task_seconds": None,
        "oldest_queued_email_seconds": None,
        "cache": "ok",
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_a_broken_database_with_503(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        from django.db.utils import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert response.json()["down"] == ["database", "tasks"]


def test_unreachable_database_gives_the_branded_503_page(client, monkeypatch):
    from django.db.utils import OperationalError

    from clinic import identity

    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setattr(identity, "_load_clinic", unreachable)
    client.raise_request_exception = False
    response = client.get(reverse("home"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "We will be back in a moment" in response.content.decode()


def test_a_bug_gives_the_branded_500_page(client, monkeypatch):
    from clinic import identity

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(identity, "_load_clinic", broken)
    client.raise_request_exception = False
    response = client.get(reverse("home"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()
    assert "Disallow: /admin/" in response.content.decode()


def test_favicon_redirects_to_our_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("img/favicon.svg")


def test_privacy_notice_is_published_from_the_clinic_record(client, clinic):
    body = client.get(reverse("privacy")).content.decode()
    assert "Privacy notice" in body
    assert clinic.privacy_notice_version in body


def test_security_headers_on_a_page(client, clinic):
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    directives = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in csp.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response  # plain HTTP in tests


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_hsts_is_sent_over_https(client, clinic):
    response = client.get(reverse("home"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_pages_load_no_third_party_assets(client, clinic):
    body = client.get(reverse("home")).content.decode()
    for attribute in ('src="http', 'src="//', 'href="//'):
        assert attribute not in body
    assert "<script>" not in body  # no inline script
    assert 'style="' not in body


def test_sitemap_lists_static_pages(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert b"<loc>http://testserver/privacy/</loc>" in response.content


def test_clinic_opening_hours_schema_is_valid_json(clinic):
    from clinic.identity import get_clinic, opening_hours_schema

    spec = opening_hours_schema(get_clinic())
    assert json.loads(json.dumps(spec))[0]["dayOfWeek"] == "https://schema.org/Monday"
    assert {entry["opens"] for entry in spec} == {"08:00", "14:00", "09:00"}
