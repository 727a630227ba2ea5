"""`make backup` and `make restore`: a restored database serves the same appointments."""

import os
import re
import subprocess

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from booking import flow
from booking.services import appointment_book
from tests.booking.booking_world import at, make_world, patient
from tests.servers import ROOT, Gunicorn, database_url_of

pytestmark = pytest.mark.django_db(transaction=True)

APPOINTMENTS_SQL = (
    "SELECT reference, starts_at, occupied_until, status, email FROM booking_appointmentrequest "
    "ORDER BY reference"
)


def make(*args, database_url):
    return subprocess.run(
        ["make", "-s", *args],  # noqa: S607 - the project's own Makefile, on PATH's make
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def rows(url: str) -> list[tuple]:
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(APPOINTMENTS_SQL).fetchall()


@pytest.fixture
def restored_url():
    source = database_url_of(connection)
    url = source.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"] + "_restored"
    admin = source.rsplit("/", 1)[0] + "/postgres"

    def drop():
        admin_url = admin.replace("postgres://", "postgresql://", 1)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    drop()
    yield url
    drop()


def test_a_restored_backup_serves_the_site_with_the_same_appointments(
    clinic, tmp_path, restored_url, settings
):
    world = make_world()
    world.slot(world.maya, 9, 13)
    for hour, email in [(9, "first@example.com"), (11, "second@example.com")]:
        appointment_book(
            treatment=world.dry_needling,
            practitioner=world.maya,
            starts_at=at(world.day, hour),
            patient=patient(email=email),
            now=timezone.now(),
        )
    source = database_url_of(connection)

    backup = make("backup", f"BACKUP_DIR={tmp_path}", database_url=source)
    assert backup.returncode == 0, backup.stderr
    dump = backup.stdout.strip().splitlines()[-1]
    assert re.search(r"-\d{8}T\d{6}Z\.dump$", dump)
    restore = make("restore", f"FILE={dump}", database_url=restored_url)
    assert restore.returncode == 0, restore.stderr

    assert rows(restored_url) == rows(source)
    assert len(rows(restored_url)) == 2
    picker = f"/book/time/?treatment=dry-needling&practitioner=maya-okafor&week={world.day}"
    with Gunicorn(restored_url) as web:
        page = web.get(picker)
    assert page.status == 200
    assert flow.start_format(at(world.day, 10)) in page.body  # free on both
    for booked in (at(world.day, 9), at(world.day, 11)):
        assert flow.start_format(booked) not in page.body


def test_restore_refuses_a_database_that_is_not_empty(clinic, tmp_path):
    source = database_url_of(connection)
    backup = make("backup", f"BACKUP_DIR={tmp_path}", database_url=source)
    dump = backup.stdout.strip().splitlines()[-1]

    refused = make("restore", f"FILE={dump}", database_url=source)

    assert refused.returncode != 0
    assert "restore only into an empty one" in refused.stderr
