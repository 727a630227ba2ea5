"""The e-mail list's "Send again" count and recipient, and the waitlist list's days and count."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from booking.models import Notification, NotificationKind, NotificationStatus
from booking.services import PatientDetails
from booking.services.retention import appointments_anonymise
from booking.waitlist.offers import offers_make
from booking.waitlist.services import waitlist_join
from tests.booking.staff_world import at, build_staff_world

EMAILS = reverse("admin:booking_notification_changelist")
ENTRIES = reverse("admin:booking_waitlistentry_changelist")
OFFERS = reverse("admin:booking_waitlistoffer_changelist")

pytestmark = pytest.mark.django_db

FAILED, GAVE_UP = NotificationStatus.FAILED, NotificationStatus.GAVE_UP
SENT, QUEUED, SKIPPED = (
    NotificationStatus.SENT,
    NotificationStatus.QUEUED,
    NotificationStatus.SKIPPED,
)


@pytest.fixture
def world(clinic):
    world = build_staff_world(timezone.localdate() + timedelta(days=10))
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    return world


@pytest.fixture
def as_desk(client, world):
    client.force_login(world.desk)
    return client


def join(world, name, *, first_day=None, last_day=None, times_of_day=(True, True, True)):
    entry, _ = waitlist_join(
        treatment=world.physio,
        practitioner=None,
        first_day=first_day or world.day,
        last_day=last_day or first_day or world.day,
        times_of_day=times_of_day,
        details=PatientDetails(
            name=name,
            email=f"{name.split()[0].lower()}@example.com",
            phone="07700 900123",
            is_new_patient=True,
        ),
        now=timezone.now(),
        privacy_notice_version="2026-11",
    )
    return entry


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- "Send the selected failed e-mails again": the counts ----------------------------------


def emails_with(world, *statuses) -> list[Notification]:
    appointment = world.appointment(world.maya, 10, email="pat@example.com")
    return [
        Notification.objects.create(
            appointment=appointment,
            kind=NotificationKind.REMINDER if n == 0 else NotificationKind.CONFIRMED,
            for_starts_at=appointment.starts_at + timedelta(minutes=n),
            status=status,
            attempts=5 if status in {FAILED, GAVE_UP} else 1,
        )
        for n, status in enumerate(statuses)
    ]


def send_again(client, emails):
    data = {"action": "send_again", "_selected_action": [e.pk for e in emails]}
    return client.post(EMAILS, data, follow=True)


def sign_of_trouble(messages) -> bool:
    return any("-" in message.split(" ", 1)[0] for message in messages)


@pytest.mark.parametrize(
    ("statuses", "queued", "left_alone"),
    [
        ((FAILED, GAVE_UP), 2, 0),
        ((SENT, QUEUED, SKIPPED), 0, 3),
        ((FAILED, SENT, GAVE_UP, SKIPPED), 2, 2),
        ((GAVE_UP,), 1, 0),
        ((SENT,), 0, 1),
    ],
    ids=["all failed", "none failed", "some failed", "one failed", "one sent"],
)
def test_send_again_counts_what_it_queued_and_what_it_left_alone(
    as_desk, world, django_capture_on_commit_callbacks, statuses, queued, left_alone
):
    emails = emails_with(world, *statuses)

    with django_capture_on_commit_callbacks():
        messages = texts(send_again(as_desk, emails))

    noun = "e-mail" if queued == 1 else "e-mails"
    assert f"{queued} {noun} queued to be sent again." in messages
    said_left_alone = [m for m in messages if "left alone" in m]
    if left_alone:
        assert said_left_alone == [
            f"{left_alone} selected {'e-mail' if left_alone == 1 else 'e-mails'} had not failed "
            + (
                "(it was sent, is queued or is no longer needed) and was left alone."
                if left_alone == 1
                else "(they were sent, are queued or are no longer needed) and were left alone."
            )
        ]
    else:
        assert said_left_alone == []
    assert not sign_of_trouble(messages)
    requeued = [e for e in emails if e.status in {FAILED, GAVE_UP}]
    assert Notification.objects.filter(status=QUEUED, attempts=0).count() == len(requeued)


def test_send_again_on_every_failed_email_of_the_filtered_list_counts_none_as_left_alone(
    as_desk, world, django_capture_on_commit_callbacks
):
    # The list filtered to "Failed", then "select all": the e-mails queued again
    # leave the filter, and counting the selection again found -1 "had not failed".
    emails = emails_with(world, GAVE_UP, SENT)

    with django_capture_on_commit_callbacks():
        response = as_desk.post(
            EMAILS + f"?status__exact={GAVE_UP}",
            {"action": "send_again", "select_across": "1", "_selected_action": [emails[0].pk]},
            follow=True,
        )

    messages = texts(response)
    assert messages == ["1 e-mail queued to be sent again."]
    emails[0].refresh_from_db()
    assert emails[0].status == QUEUED


def test_send_again_on_every_email_across_pages_counts_each_once(
    as_desk, world, django_capture_on_commit_callbacks
):
    emails = emails_with(world, FAILED, SENT, GAVE_UP)

    with django_capture_on_commit_callbacks():
        response = as_desk.post(
            EMAILS,
            {"action": "send_again", "select_across": "1", "_selected_action": [emails[0].pk]},
            follow=True,
        )

    messages = texts(response)
    assert "2 e-mails queued to be sent again." in messages
    assert any(m.startswith("1 selected e-mail had not failed") for m in messages)


def test_send_again_on_emails_already_sent_again_leaves_them_alone(
    as_desk, world, django_capture_on_commit_callbacks
):
    emails = emails_with(world, FAILED, GAVE_UP)
    with django_capture_on_commit_callbacks():
        send_again(as_desk, emails)

    with django_capture_on_commit_callbacks() as callbacks:
        messages = texts(send_again(as_desk, emails))

    assert "0 e-mails queued to be sent again." in messages
    assert any(m.startswith("2 selected e-mails had not failed") for m in messages)
    assert not sign_of_trouble(messages)
    assert callbacks == []


# --- The e-mail's page names its recipient ----------------------------------------------


def recipient_on_page(client, notification) -> str:
    response = client.get(reverse("admin:booking_notification_change", args=[notification.pk]))
    assert response.status_code == 200
    fieldset = response.context["adminform"]
    for fieldset_ in fieldset:
        for line in fieldset_:
            for field in line:
                if field.field["name"] == "recipient":
                    return str(field.contents())
    raise AssertionError("The page has no recipient.")


def test_an_appointment_emails_page_shows_the_patients_address(as_desk, world):
    appointment = world.appointment(world.maya, 10, email="pat@example.com")
    email = Notification.objects.create(
        appointment=appointment, kind=NotificationKind.CONFIRMED, status=GAVE_UP
    )

    assert recipient_on_page(as_desk, email) == "pat@example.com"


def test_an_email_to_the_clinic_shows_the_clinics_inbox(as_desk, world, clinic):
    appointment = world.appointment(world.maya, 10, email="pat@example.com")
    email = Notification.objects.create(
        appointment=appointment, kind=NotificationKind.CLINIC_NEW_REQUEST
    )

    assert recipient_on_page(as_desk, email) == clinic.inbox


def test_a_waitlist_entrys_email_page_shows_the_address_on_the_entry(as_desk, world):
    entry = join(world, "Ada Waiting")
    email = Notification.objects.get(waitlist_entry=entry)
    assert email.email == ""

    assert recipient_on_page(as_desk, email) == "ada@example.com"


def test_an_offers_email_page_shows_the_address_of_the_entry_it_was_offered_to(as_desk, world):
    join(world, "Oli Offered")
    now = timezone.now()
    [offer] = offers_make(
        now=now,
        window_start=at(world.day, 10),
        window_end=at(world.day, 10, 1),
        practitioner_ids=[world.tom.pk],
    )
    email = Notification.objects.get(offer=offer)
    assert email.email == ""

    assert recipient_on_page(as_desk, email) == "oli@example.com"


def test_a_find_my_booking_emails_page_shows_the_address_that_asked(as_desk, world):
    email = Notification.objects.create(
        kind=NotificationKind.BOOKING_LINKS, email="ask@example.com"
    )

    assert recipient_on_page(as_desk, email) == "ask@example.com"


def test_an_anonymised_appointments_email_page_says_the_address_was_removed(as_desk, world):
    long_ago = timezone.localdate() - timedelta(days=400)
    appointment = world.appointment(world.maya, 10, day=long_ago, status="completed")
    email = Notification.objects.create(appointment=appointment, kind=NotificationKind.CONFIRMED)
    appointments_anonymise(ended_before=timezone.now() - timedelta(days=300), now=timezone.now())

    shown = recipient_on_page(as_desk, email)

    assert "removed when the record was anonymised" in shown
    assert "invalid.example" not in shown
