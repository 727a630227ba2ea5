"""The quick reset after transactional tests leaves the database as Django's flush does."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase
from django.utils import timezone

from booking.models import TimeSlot
from booking.services import PatientDetails, appointment_book
from clinic.demo import load as load_clinic_demo
from tests.booking.staff_world import ensure_roles, staff_user
from tests.database_reset import KEPT_TABLES, empty_database, post_migrate_fingerprint
from tests.e2e.site_tour import load_whole_demo

pytestmark = pytest.mark.django_db(transaction=True)


class _Case(TransactionTestCase):
    __test__ = False  # only a test case for empty_database to reset after

    def runTest(self):
        pass


def rows_by_table() -> dict[str, int]:
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def fill_many_tables(settings) -> None:
    load_clinic_demo(stdout=io.StringIO())
    load_whole_demo(settings)
    ensure_roles()
    staff_user("desk", "Front desk")
    now = timezone.now()
    slot = TimeSlot.objects.filter(is_blocked=False, starts_at__gt=now + timedelta(days=2)).first()
    appointment_book(
        treatment=slot.practitioner.treatments.order_by("duration_minutes").first(),
        practitioner=slot.practitioner,
        starts_at=slot.starts_at,
        patient=PatientDetails("Sam Patel", "sam@example.com", "07700 900123", True),
        now=now,
        enforce_policy=False,
    )


def test_reset_empties_every_table_but_what_post_migrate_makes(settings):
    empty_database(_Case())  # the first reset of a run is Django's own flush
    fill_many_tables(settings)
    filled = {table for table, count in rows_by_table().items() if count}
    assert len(filled - KEPT_TABLES) >= 25, filled

    empty_database(_Case())

    assert {table for table, count in rows_by_table().items() if count} == KEPT_TABLES
    kept = post_migrate_fingerprint(connection)
    # Django's own flush, post_migrate and all, fills the same tables with the same rows.
    call_command("flush", verbosity=0, interactive=False)
    assert {table for table, count in rows_by_table().items() if count} == KEPT_TABLES
    assert post_migrate_fingerprint(connection) == kept


def test_a_test_that_changes_the_permissions_gets_django_s_flush(settings):
    empty_database(_Case())
    count = Permission.objects.count()
    fingerprint = post_migrate_fingerprint(connection)
    Permission.objects.filter(codename="view_appointmentrequest").delete()
    Permission.objects.filter(codename="add_user").update(name="Tampered with")
    assert post_migrate_fingerprint(connection) != fingerprint

    empty_database(_Case())

    assert Permission.objects.count() == count
    assert Permission.objects.get(codename="add_user").name == "Can add user"
    assert post_migrate_fingerprint(connection) == fingerprint
