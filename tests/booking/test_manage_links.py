"""Manage links that never leak: hashed in the database, swapped for a session on first use."""

import hashlib
from datetime import timedelta

import pytest
from django.core import management
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.links import ics_url, manage_token
from booking.models import AppointmentRequest
from booking.services import appointment_book
from booking.tokens import private_token_for
from tests.booking.booking_world import at, make_world, patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic):
    world = make_world()
    world.slot(world.maya, 9, 13)
    return world


@pytest.fixture
def booked(world):
    return appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 10),
        patient=patient(),
        now=timezone.now(),
    )


def every_stored_value() -> str:
    """A dump of the appointment table, as a leaked backup would hold it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(a)::text FROM booking_appointmentrequest a")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_database_holds_only_the_hash_of_the_link_token(booked):
    token = manage_token(booked)

    assert token and token not in every_stored_value()
    assert booked.manage_token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_the_token_cannot_be_made_without_the_secret_key(booked, settings):
    token = manage_token(booked)
    settings.SECRET_KEY = "another-secret-key-of-a-copied-database-xxxxxxxxxxxxxxxx"

    assert manage_token(booked) == ""
    assert private_token_for(reference=booked.reference, stored_hash=booked.manage_token_hash) != (
        token
    )


def test_links_made_with_a_retired_key_in_the_fallbacks_still_work(booked, settings):
    token = manage_token(booked)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-xxxxxxxxxxxxxxxxxxxxxxxxx"

    assert manage_token(booked) == token


def test_opening_the_link_swaps_the_token_for_a_clean_address(client, booked):
    response = client.get(reverse("booking:manage", kwargs={"token": manage_token(booked)}))

    assert response.status_code == 302
    assert response.url == f"/book/appointment/{booked.reference}/"
    assert manage_token(booked) not in response.url
    assert response["Referrer-Policy"] == "no-referrer"
    page = client.get(response.url)
    assert page.status_code == 200
    assert booked.reference in page.content.decode()


def test_every_link_on_the_manage_page_is_free_of_the_token(client, booked):
    token = manage_token(booked)
    page = client.get(reverse("booking:manage", kwargs={"token": token}), follow=True)

    assert page.status_code == 200
    assert token not in page.content.decode()


def test_the_clean_address_without_the_session_asks_for_the_link(booked):
    response = Client().get(f"/book/appointment/{booked.reference}/")

    assert response.status_code == 403
    assert booked.patient_name not in response.content.decode()
    assert "open the link in the e-mail" in response.content.decode()


@pytest.mark.parametrize("suffix", ["", "cancel/", "move/", "appointment.ics"])
def test_no_page_of_an_appointment_opens_without_the_link(booked, suffix):
    response = Client().get(f"/book/appointment/{booked.reference}/{suffix}")

    assert response.status_code == 403


def test_cancel_without_the_link_changes_nothing(booked):
    Client().post(f"/book/appointment/{booked.reference}/cancel/")

    booked.refresh_from_db()
    assert booked.is_active


def test_the_session_grant_ends_after_its_minutes(client, booked, settings, monkeypatch):
    import time as clock

    client.get(reverse("booking:manage", kwargs={"token": manage_token(booked)}))
    later = clock.time() + settings.BOOKING_MANAGE_SESSION_MINUTES * 60 + 1
    monkeypatch.setattr(clock, "time", lambda: later)

    response = client.get(f"/book/appointment/{booked.reference}/")

    assert response.status_code == 403


def test_the_calendar_link_from_an_email_works_without_a_session(booked, settings):
    settings.SITE_URL = "http://testserver"

    response = Client().get(ics_url(booked).removeprefix("http://testserver"))

    assert response.status_code == 200
    assert b"BEGIN:VCALENDAR" in response.content


def test_a_token_of_another_appointment_does_not_open_this_one(client, world, booked):
    other = appointment_book(
        treatment=world.follow_up,
        practitioner=world.maya,
        starts_at=at(world.day, 12),
        patient=patient(name="Other Patient"),
        now=timezone.now(),
    )
    client.get(reverse("booking:manage", kwargs={"token": manage_token(other)}))

    assert client.get(f"/book/appointment/{booked.reference}/").status_code == 403
    assert client.get(f"/book/appointment/{other.reference}/").status_code == 200


@pytest.mark.parametrize("reference", ["\x00", "x" * 500, "../../etc", "<b>", "ab"])
def test_nasty_references_in_the_clean_address_are_not_found(client, booked, reference):
    from urllib.parse import quote

    response = client.get(f"/book/appointment/{quote(reference, safe='')}/")

    assert response.status_code in {403, 404}


def test_an_appointment_that_is_over_shows_the_expired_page(client, booked):
    token = manage_token(booked)
    AppointmentRequest.objects.filter(pk=booked.pk).update(
        starts_at=timezone.now() - timedelta(hours=2),
        ends_at=timezone.now() - timedelta(hours=1),
        occupied_until=timezone.now() - timedelta(hours=1),
    )

    response = client.get(reverse("booking:manage", kwargs={"token": token}))

    assert response.status_code == 410


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_the_tokens_already_sent_so_their_links_keep_working(clinic):
    executor = MigrationExecutor(connection)
    executor.migrate([("booking", "0002_availability_slots_appointments")])
    executor.loader.build_graph()
    old_token = "an-old-random-token-from-an-e-mail-sent-before-the-change"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO booking_treatment (name, slug, summary, description, duration_minutes,"
            " buffer_after_minutes, price, is_needle_based, requires_confirmation, is_active,"
            " sort_order) VALUES ('Physio', 'physio-old', '', '', 30, 0, 40, false, false, true, 0)"
            " RETURNING id"
        )
        treatment_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO booking_practitioner (name, slug, credentials, role, bio, photo,"
            " photo_alt, is_active, sort_order) VALUES"
            " ('Old Practitioner', 'old-practitioner', '', '', '', '', '', true, 0) RETURNING id"
        )
        practitioner_id = cursor.fetchone()[0]
        starts = timezone.now() + timedelta(days=3)
        for reference, token in [("OLD1-AAAA", old_token), ("OLD2-BBBB", "anonymised-42")]:
            cursor.execute(
                "INSERT INTO booking_appointmentrequest (reference, manage_token, treatment_id,"
                " practitioner_id, starts_at, ends_at, occupied_until, status, source,"
                " patient_name, email, phone, is_new_patient, reason, screening,"
                " privacy_notice_version, decline_reason, created_at, updated_at) VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, 'confirmed', 'online', 'Old Patient',"
                " 'old@example.com', '0123456789', true, '', '{}', 'x', '', now(), now())",
                [
                    reference,
                    token,
                    treatment_id,
                    practitioner_id,
                    starts,
                    starts + timedelta(minutes=30),
                    starts + timedelta(minutes=30),
                ],
            )
            starts += timedelta(hours=2)

    management.call_command("migrate", verbosity=0)

    old = AppointmentRequest.objects.get(reference="OLD1-AAAA")
    assert old.manage_token_hash == hashlib.sha256(old_token.encode()).hexdigest()
    assert old_token not in every_stored_value()
    response = Client().get(reverse("booking:manage", kwargs={"token": old_token}))
    assert response.status_code == 302
    anonymised = AppointmentRequest.objects.get(reference="OLD2-BBBB")
    assert anonymised.manage_token_hash == "anonymised-42"
