"""The waitlist in the staff workspace: scoped like appointments, offers, "offer now", Today."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking import flow
from booking.models import Notification, NotificationKind, WaitlistOffer
from booking.models import WaitlistEntryStatus as Entry
from booking.models import WaitlistOfferStatus as Offer
from booking.services import PatientDetails
from booking.waitlist.offers import offers_make
from booking.waitlist.services import waitlist_join
from tests.booking.staff_world import at, build_staff_world

ENTRIES = reverse("admin:booking_waitlistentry_changelist")
OFFERS = reverse("admin:booking_waitlistoffer_changelist")
OFFER_NOW = reverse("admin:booking_waitlistentry_offer")
INDEX = reverse("admin:index")

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic):
    world = build_staff_world(timezone.localdate() + timedelta(days=10))
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    now = timezone.now()
    world.for_maya = join(world, "Mia For Maya", practitioner=world.maya, now=now)
    world.for_tom = join(world, "Tia For Tom", practitioner=world.tom, now=now)
    world.for_anyone = join(world, "Ada Anyone", practitioner=None, now=now)
    return world


def join(world, name, *, practitioner, now):
    entry, _ = waitlist_join(
        treatment=world.physio,
        practitioner=practitioner,
        first_day=world.day,
        last_day=world.day,
        times_of_day=(True, True, True),
        details=PatientDetails(
            name=name,
            email=f"{name.split()[0].lower()}@example.com",
            phone="07700 900123",
            is_new_patient=True,
        ),
        now=now,
        privacy_notice_version="2026-11",
    )
    return entry


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def listed(response) -> set[str]:
    return {entry.patient_name for entry in response.context["cl"].result_list}


# --- Who sees which entries ---------------------------------------------------------------


def test_the_front_desk_sees_everyone_waiting(client, world):
    client.force_login(world.desk)

    response = client.get(ENTRIES)

    assert listed(response) == {"Mia For Maya", "Tia For Tom", "Ada Anyone"}


def test_a_practitioner_sees_who_waits_for_them_or_for_anyone(client, world):
    client.force_login(world.maya_user)

    response = client.get(ENTRIES)

    assert listed(response) == {"Mia For Maya", "Ada Anyone"}
    other = reverse("admin:booking_waitlistentry_change", args=[world.for_tom.pk])
    assert client.get(other).status_code == 404
    own = reverse("admin:booking_waitlistentry_change", args=[world.for_maya.pk])
    assert client.get(own).status_code == 200


def test_a_practitioner_does_not_see_anyone_waiting_for_a_treatment_they_do_not_offer(
    client, world
):
    world.maya.treatments.clear()
    client.force_login(world.maya_user)

    assert listed(client.get(ENTRIES)) == {"Mia For Maya"}


def test_entries_can_be_listed_by_treatment_and_days_waited_for(client, world):
    client.force_login(world.desk)
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    wanted = "later" if world.day >= monday + timedelta(days=14) else "next"

    assert len(listed(client.get(ENTRIES, {"wanted": wanted}))) == 3
    assert listed(client.get(ENTRIES, {"wanted": "week"})) == set()
    assert len(listed(client.get(ENTRIES, {"treatment__id__exact": world.physio.pk}))) == 3


def test_the_front_desk_takes_people_off_the_list(client, world):
    client.force_login(world.desk)

    response = client.post(
        ENTRIES,
        {"action": "take_off_the_list", "_selected_action": [world.for_tom.pk]},
        follow=True,
    )

    world.for_tom.refresh_from_db()
    assert world.for_tom.status == Entry.LEFT
    assert "1 person taken off the waitlist." in texts(response)


def test_an_entry_is_read_only_on_its_page(client, world):
    client.force_login(world.desk)
    url = reverse("admin:booking_waitlistentry_change", args=[world.for_tom.pk])

    response = client.get(url)

    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    client.post(url, {"patient_name": "Changed"})
    world.for_tom.refresh_from_db()
    assert world.for_tom.patient_name == "Tia For Tom"


# --- Offers sent, claimed and expired ---------------------------------------------------------


def test_the_offers_list_is_scoped_to_the_practitioners_own_time(client, world):
    now = timezone.now()
    for practitioner in (world.maya, world.tom):
        offers_make(
            now=now,
            window_start=at(world.day, 10),
            window_end=at(world.day, 11),
            practitioner_ids=[practitioner.pk],
        )
    client.force_login(world.maya_user)

    response = client.get(OFFERS)

    practitioners = {offer.practitioner for offer in response.context["cl"].result_list}
    assert practitioners == {world.maya}


def test_the_waitlist_page_counts_offers_sent_claimed_and_expired(client, world):
    now = timezone.now()
    offers = offers_make(
        now=now,
        window_start=at(world.day, 10),
        window_end=at(world.day, 11),
        practitioner_ids=[world.tom.pk],
    )
    WaitlistOffer.objects.filter(pk=offers[0].pk).update(status=Offer.EXPIRED)
    client.force_login(world.desk)

    response = client.get(ENTRIES)

    assert response.context["offers_summary"] == {"sent": 2, "claimed": 0, "expired": 1, "open": 1}
    assert "2 offers sent, 0 claimed, 1 expired, 1 still open" in response.content.decode()


# --- Offer now --------------------------------------------------------------------------------


def test_offer_now_lists_free_times_people_wait_for(client, world):
    client.force_login(world.desk)

    response = client.get(OFFER_NOW)

    rows = response.context["rows"]
    assert rows
    assert {row["practitioner"] for row in rows} <= {"Maya Okafor", "Tom Reid"}
    waiting = {entry.patient_name for row in rows for entry in row["entries"]}
    assert waiting == {"Mia For Maya", "Tia For Tom", "Ada Anyone"}


def test_offer_now_emails_the_first_people_in_line_at_once(client, world):
    client.force_login(world.desk)
    starts_at = at(world.day, 11)

    response = client.post(
        OFFER_NOW,
        {"practitioner": world.tom.pk, "start": flow.start_format(starts_at)},
        follow=True,
    )

    offers = WaitlistOffer.objects.order_by("entry__created_at")
    assert [o.entry.patient_name for o in offers] == ["Tia For Tom", "Ada Anyone"]
    assert {o.starts_at for o in offers} == {starts_at}
    assert {o.offered_by for o in offers} == {world.desk}
    assert Notification.objects.filter(kind=NotificationKind.WAITLIST_OFFER).count() == 2
    assert any("offered to 2 people: Tia For Tom, Ada Anyone" in m for m in texts(response))


def test_offering_a_time_that_is_not_free_says_so(client, world):
    world.appointment(world.tom, 11)
    client.force_login(world.desk)

    response = client.post(
        OFFER_NOW,
        {"practitioner": world.tom.pk, "start": flow.start_format(at(world.day, 11))},
        follow=True,
    )

    assert WaitlistOffer.objects.count() == 0
    assert any("was not offered" in m for m in texts(response))


def test_a_practitioner_offers_only_their_own_time(client, world):
    client.force_login(world.maya_user)

    response = client.post(
        OFFER_NOW, {"practitioner": world.tom.pk, "start": flow.start_format(at(world.day, 11))}
    )

    assert response.status_code == 404
    assert WaitlistOffer.objects.count() == 0
    rows = client.get(OFFER_NOW).context["rows"]
    assert {row["practitioner"] for row in rows} == {"Maya Okafor"}


@pytest.mark.parametrize(
    "data", [{}, {"practitioner": "x", "start": "y"}, {"practitioner": "1\x00", "start": "9" * 50}]
)
def test_offer_now_with_nonsense_is_not_found(client, world, data):
    client.force_login(world.desk)

    assert client.post(OFFER_NOW, data).status_code == 404


# --- Today --------------------------------------------------------------------------------------


def test_today_counts_the_people_on_the_waitlist_each_sees(client, world):
    client.force_login(world.desk)
    assert "3 people on the waitlist" in client.get(INDEX).content.decode()

    client.force_login(world.maya_user)
    assert "2 people on the waitlist" in client.get(INDEX).content.decode()


def test_todays_waitlist_count_costs_the_same_queries_however_many_wait(client, world):
    client.force_login(world.desk)
    client.get(INDEX)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INDEX).status_code == 200
        return len(captured)

    few = queries()
    for n in range(20):
        join(world, f"Extra{n} Person", practitioner=None, now=timezone.now())
    assert queries() == few
    assert "23 people on the waitlist" in client.get(INDEX).content.decode()


def test_a_waitlist_email_that_could_not_be_sent_shows_on_today_and_in_the_emails(client, world):
    from booking.models import NotificationStatus

    Notification.objects.filter(waitlist_entry=world.for_tom).update(
        status=NotificationStatus.GAVE_UP
    )
    client.force_login(world.desk)

    today = client.get(INDEX).content.decode()
    emails = client.get(reverse("admin:booking_notification_changelist")).content.decode()

    assert "1 e-mail could not be sent" in today
    assert world.for_tom.reference in today
    assert world.for_tom.reference in emails
