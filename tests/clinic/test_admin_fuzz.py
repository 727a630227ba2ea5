"""Junk in every admin page, list filter, action and form never answers 500.

Every URL every ModelAdmin on the site serves (ours, and the ones Django,
axes and the task queue bring), with real and junk ids in the path, junk in
every query parameter the page reads (its list filters, date drill-down,
search, ordering, paging and our own pages' parameters), junk ids in every
action, and junk in every field of its form: as a superuser, front desk, a
practitioner and a staff login with no role. The junk: letters, a NUL,
thirty digits, a negative number, 5,000 characters and a superscript two.
"""

import io
import logging
from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.filters import ListFilter
from django.contrib.auth.models import User
from django.urls import NoReverseMatch, reverse

from articles.demo import load as load_content
from booking.models import Patient
from tests.booking.staff_world import at, build_staff_world, staff_user
from tests.booking.waitlist_world import join

pytestmark = pytest.mark.django_db

JUNK = ["abc", "\x00", "9" * 30, "-1", "x" * 5000, "²"]  # "²": a digit to isdigit(), not int()
# Parameters our own admin pages read, besides admin's own (q, o, p, e, _to_field...).
PAGE_PARAMETERS = [
    "q", "o", "p", "e", "all", "_to_field", "_popup", "_changelist_filters",
    "date", "week", "day", "format", "practitioner", "treatment", "patient", "start",
    "start_time", "status", "term", "app_label", "model_name", "field_name", "page",
    "match", "next", "reason",
]  # fmt: skip


def filter_parameters(model_admin) -> set[str]:
    names = set()
    for entry in model_admin.list_filter:
        field = entry[0] if isinstance(entry, tuple | list) else entry
        if isinstance(field, type) and issubclass(field, ListFilter):
            names.add(getattr(field, "parameter_name", "") or "")
            continue
        names |= {
            field,
            f"{field}__exact",
            f"{field}__id__exact",
            f"{field}__isnull",
            f"{field}__gte",
            f"{field}__lt",
            f"{field}__in",
        }
    if model_admin.date_hierarchy:
        names |= {f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")}
    return names - {""}


def admin_urls(model_admin, real_pk, junk: list[str]) -> list[tuple[str, bool]]:
    """(url, with a real id) for every URL of the ModelAdmin: each with a real id, and
    with each junk id its converters accept."""
    urls = []
    for pattern in model_admin.get_urls():
        name = getattr(pattern, "name", None)
        if not name:
            continue
        converters = getattr(pattern.pattern, "converters", {})
        if not converters:
            urls.append((reverse(f"admin:{name}"), True))
            continue
        for value in [real_pk, *junk]:
            try:
                url = reverse(f"admin:{name}", kwargs=dict.fromkeys(converters, value))
            except NoReverseMatch:
                continue  # an <int:...> that refuses letters answers 404 before any view
            urls.append((url, value == real_pk))
    return urls


@pytest.fixture
def site(clinic):
    """Something of every kind, so that each change page has a real row to open."""
    world = build_staff_world(date(2027, 7, 1))
    world.slot(world.maya, 9, 13)
    appointment = world.appointment(world.maya, 9, answers={"bleeding": True})
    Patient.objects.create(name="Pat Two", email="pat@example.com", possible_match=None)
    appointment.patient = Patient.objects.create(name="Sam Patel", email="sam@example.com")
    appointment.save()
    join(world, "Ann One", now=at(world.day, 8) - timedelta(days=2), treatment=world.physio)
    load_content(stdout=io.StringIO())
    User.objects.create_superuser("root", "root@example.com", "pw")
    world.nobody = staff_user("nobody", None)
    return world


JUNK_IDS = ["abc", "\x00", "9" * 30, "²"]
JUNK_FIELDS = ["\x00", "x" * 5000]
JUNK_FILTERS = ["abc", "9" * 30, "-1", "²"]


def requests_for(model_admin, real_pk, *, thorough: bool):
    """(method, url, data) for one ModelAdmin: its pages with real and junk ids, junk in
    every parameter and form field, junk ids in its actions.

    A superuser gets them all; the roles get each page with its parameters junk and
    each action, to prove that their scoping never fails on junk either.
    """
    params = sorted(filter_parameters(model_admin) | set(PAGE_PARAMETERS))
    fields = [f.name for f in model_admin.model._meta.fields if f.editable]
    for url, real in admin_urls(model_admin, real_pk, JUNK_IDS if thorough else []):
        yield "get", url, {}
        if not real:
            yield "post", url, {}
            continue
        for value in JUNK if thorough else JUNK[1:2]:
            yield "get", url, dict.fromkeys(params, value)
        # A real row's delete page would delete it; its junk ids are sent above.
        if thorough and not url.endswith("/delete/"):
            for value in JUNK_FIELDS:
                yield "post", url, dict.fromkeys(fields, value)
    opts = model_admin.opts
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    if thorough:
        # One filter at a time too: a bad value in one must not hide behind another's.
        for name in sorted(filter_parameters(model_admin)):
            for value in JUNK_FILTERS:
                yield "get", changelist, {name: value}
    named = (a if isinstance(a, str) else a.__name__ for a in model_admin.actions or [])
    for action in sorted({"delete_selected", *named}):
        for value in JUNK if thorough else JUNK[:1]:
            selected = {"action": action, helpers.ACTION_CHECKBOX_NAME: [value, str(real_pk)]}
            # With select_across on, admin ignores the ids; junk there turns it on.
            yield "post", changelist, {**selected, "select_across": "0"}
            yield "post", changelist, {**selected, "select_across": value, "index": value}


def test_junk_in_every_admin_page_filter_action_and_form_never_answers_500(client, site, caplog):
    users = {
        "superuser": User.objects.get(username="root"),
        "front desk": site.desk,
        "practitioner": site.maya_user,
        "no role": site.nobody,
    }
    failures, sent = [], 0
    for role, user in users.items():
        client.force_login(user)
        for model, model_admin in admin.site._registry.items():
            real = model.objects.order_by("pk").values_list("pk", flat=True).first() or 1
            for method, url, data in requests_for(model_admin, real, thorough=role == "superuser"):
                sent += 1
                try:
                    response = getattr(client, method)(url, data)
                except Exception as error:  # the test client re-raises what became a 500
                    failures.append(
                        f"{role} {method.upper()} {url[:120]} {data!r:.200}: {error!r:.300}"
                    )
                    continue
                if response.status_code >= 500:
                    failures.append(
                        f"{role} {method.upper()} {url[:120]} {data!r:.200}: {response.status_code}"
                    )
        for url in ["/admin/", "/admin/booking/", "/admin/autocomplete/", "/admin/jsi18n/"]:
            for value in JUNK:
                sent += 1
                params = dict.fromkeys(PAGE_PARAMETERS, value)
                if client.get(url, params).status_code >= 500:
                    failures.append(f"{role} GET {url} {value!r:.50}")
    logging.getLogger(__name__).warning("admin fuzz: %d requests", sent)
    print(f"admin fuzz: {sent} requests")
    assert sent > 3000
    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(failures[:40])


# --- Each cause found, on its own -------------------------------------------------------


def test_an_action_with_a_selected_id_that_is_no_number_changes_nothing_and_says_so(client, site):
    client.force_login(site.desk)
    appointment = site.maya.appointments.get()

    for junk in ("abc", "9" * 30):
        response = client.post(
            reverse("admin:booking_appointmentrequest_changelist"),
            {"action": "confirm", helpers.ACTION_CHECKBOX_NAME: [junk, appointment.pk]},
            follow=True,
        )
        assert response.status_code == 200
        assert "could not be read. Nothing was changed." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "requested"


@pytest.mark.parametrize(
    "name",
    ["admin:booking_appointmentrequest_changelist", "admin:booking_appointmentrequest_export"],
)
def test_a_thirty_digit_year_in_a_date_filter_is_a_bad_filter_not_an_error(client, site, name):
    client.force_login(site.desk)

    response = client.get(reverse(name), {"starts_at__year": "9" * 30})

    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")


def test_a_refused_permission_is_logged_in_one_line_without_a_traceback(client, site):
    import io
    import logging

    console = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler))
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        client.force_login(site.maya_user)
        response = client.get(reverse("admin:booking_practitioner_add"))
    finally:
        console.setStream(previous)

    assert response.status_code == 403
    lines = [line for line in stream.getvalue().splitlines() if "Forbidden" in line]
    assert len(lines) == 1, stream.getvalue()
    assert "Traceback" not in stream.getvalue() and "PermissionDenied" not in stream.getvalue()
