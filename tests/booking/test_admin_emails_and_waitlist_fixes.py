"""The e-mail list's "Send again" count and recipient, and the waitlist list's days and count."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from booking.admin.waitlist import days_wanted
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


def join(
    world, name, *, first_day=None, last_day=None, times_of_day=(True, True, True), with_=None
):
    entry, _ = waitlist_join(
        treatment=world.physio,
        practitioner=with_,
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


# --- The waitlist list: its count, its days, its junk ---------------------------------------


def count_line(response) -> str:
    html = response.content.decode()
    return " ".join(html.split('class="paginator"', 1)[1].split("</h2>", 1)[1].split()[:3])


def test_the_waitlist_counts_one_waitlist_entry(as_desk, world):
    join(world, "Ada Waiting")

    response = as_desk.get(ENTRIES)

    assert count_line(response) == "1 waitlist entry"


def test_the_waitlist_counts_waitlist_entries_and_offers_to_select_them_all(as_desk, world):
    join(world, "Ada Waiting")
    join(world, "Bea Waiting")

    response = as_desk.get(ENTRIES)

    assert count_line(response) == "2 waitlist entries"
    assert "2 waitlist</" not in response.content.decode()
    assert response.context["module_name"] == "waitlist entries"
    # The menu still calls the list "Waitlist".
    assert ">Waitlist</a>" in as_desk.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize(
    ("people", "expected"), [(1, "1 waitlist offer"), (2, "2 waitlist offers")]
)
def test_the_offers_list_counts_waitlist_offers(as_desk, world, people, expected):
    for n in range(people):
        join(world, f"P{n} Person")
    offers_make(
        now=timezone.now(),
        window_start=at(world.day, 10),
        window_end=at(world.day, 10, 1),
        practitioner_ids=[world.tom.pk],
    )

    assert count_line(as_desk.get(OFFERS)) == expected


TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("first", "last", "shown", "spoken"),
    [
        (date(2026, 12, 10), date(2026, 12, 10), "Thu 10 Dec", "Thursday 10 December 2026"),
        (date(2026, 12, 7), date(2026, 12, 18), "7–\u206018 Dec", "7 to 18 December 2026"),
        (
            date(2026, 12, 28),
            date(2027, 1, 3),
            "28 Dec –\u2060 3 Jan 2027",
            "28 December 2026 to 3 January 2027",
        ),
        (date(2027, 1, 4), date(2027, 1, 8), "4–\u20608 Jan 2027", "4 to 8 January 2027"),
        (
            date(2026, 11, 30),
            date(2026, 12, 2),
            "30 Nov –\u2060 2 Dec",
            "30 November to 2 December 2026",
        ),
    ],
)
def test_the_days_column_is_short_to_read_and_whole_to_hear(first, last, shown, spoken):
    short, words = days_wanted(first, last, today=TODAY)

    assert short.replace("\u00a0", " ") == shown
    assert words == spoken


def test_the_days_column_keeps_each_line_whole():
    short, _words = days_wanted(date(2026, 12, 28), date(2027, 1, 3), today=TODAY)

    assert " " not in short  # no-break spaces only: the column is as wide as its line


def cell(response, entry, field) -> str:
    html = response.content.decode()
    row = html.split(f'value="{entry.pk}"', 1)[1].split("</tr>", 1)[0]
    return row.split(f'class="field-{field}', 1)[1].split(">", 1)[1].split("</td>", 1)[0]


def test_the_list_shows_the_days_then_the_times_of_day_in_one_cell(as_desk, world):
    first = world.day
    entry = join(
        world,
        "Ada Waiting",
        first_day=first,
        last_day=first + timedelta(days=2),
        times_of_day=(True, False, True),
    )

    shown = cell(as_desk.get(ENTRIES), entry, "days")

    short, spoken = days_wanted(first, first + timedelta(days=2), today=timezone.localdate())
    assert f'<span aria-hidden="true">{short}</span>' in shown
    assert f'<span class="visually-hidden">{spoken}</span>' in shown
    assert shown.endswith("<br>mornings,\u00a0evenings")


def test_the_list_says_any_time_and_anyone_and_counts_offers_under_the_status(as_desk, world):
    entry = join(world, "Oli Offered")
    offers_make(
        now=timezone.now(),
        window_start=at(world.day, 10),
        window_end=at(world.day, 10, 1),
        practitioner_ids=[world.tom.pk],
    )

    response = as_desk.get(ENTRIES)

    assert cell(response, entry, "days").endswith("<br>any\u00a0time")
    assert cell(response, entry, "treatment_and_practitioner") == "Physiotherapy session<br>anyone"
    assert cell(response, entry, "status_and_offers") == "Waiting<br>1\u00a0offer"


def test_the_practitioner_filter_names_anyone_any_rather_than_a_dash(as_desk, world):
    join(world, "Ada Anyone")
    join(world, "Mia For Maya", with_=world.maya)

    response = as_desk.get(ENTRIES)

    choices = [
        c["display"]
        for spec in response.context["cl"].filter_specs
        if spec.title == "practitioner"
        for c in spec.choices(response.context["cl"])
    ]
    assert choices == ["All", "Maya Okafor", "Any"]


def test_an_entry_without_offers_shows_only_its_status(as_desk, world):
    entry = join(world, "Ada Waiting")

    assert cell(as_desk.get(ENTRIES), entry, "status_and_offers") == "Waiting"


def offer_cell(response, offer, field) -> str:
    # The offers list has no actions, so no checkbox: its rows are found by their link.
    html = response.content.decode()
    link = reverse("admin:booking_waitlistoffer_change", args=[offer.pk])
    row = html.split(f'href="{link}', 1)[1].split("</tr>", 1)[0]
    return row.split(f'class="field-{field}', 1)[1].split(">", 1)[1].split("</td>", 1)[0]


def test_the_offers_list_shows_an_open_offer_until_when_and_who_offered_it(as_desk, world):
    join(world, "Oli Offered")
    [offer] = offers_make(
        now=timezone.now(),
        window_start=at(world.day, 10),
        window_end=at(world.day, 10, 1),
        practitioner_ids=[world.tom.pk],
        by=world.desk,
    )

    response = as_desk.get(OFFERS)

    assert offer_cell(response, offer, "patient_and_treatment") == (
        "Oli Offered<br>Physiotherapy session"
    )
    assert offer_cell(response, offer, "time_offered").endswith("10:00<br>Tom Reid")
    status = offer_cell(response, offer, "status_and_outcome")
    assert status.startswith("Sent, open<br>until ")
    assert offer_cell(response, offer, "offered_by_whom") == "desk"


def test_the_offers_list_links_a_claimed_offer_to_its_booking(as_desk, world):
    from booking.models import WaitlistOffer, WaitlistOfferStatus

    join(world, "Oli Offered")
    [offer] = offers_make(
        now=timezone.now(),
        window_start=at(world.day, 10),
        window_end=at(world.day, 10, 1),
        practitioner_ids=[world.tom.pk],
    )
    booked = world.appointment(world.tom, 10, email="oli@example.com")
    WaitlistOffer.objects.filter(pk=offer.pk).update(
        status=WaitlistOfferStatus.CLAIMED, appointment=booked
    )

    response = as_desk.get(OFFERS)

    link = reverse("admin:booking_appointmentrequest_change", args=[booked.pk])
    status = offer_cell(response, offer, "status_and_outcome")
    assert status == f'Claimed<br><a href="{link}">{booked.reference}</a>'
    assert offer_cell(response, offer, "offered_by_whom") == "automatically"


JUNK = ["\x00", "x" * 5000, "9" * 40, "-1", "%00", "1e309", "'\"<>"]
PARAMETERS = {
    ENTRIES: [
        "q",
        "status__exact",
        "wanted",
        "treatment__id__exact",
        "practitioner__id__exact",
        "practitioner__isnull",
        "o",
        "p",
    ],
    OFFERS: ["q", "status__exact", "practitioner__id__exact", "created_at__year", "o", "p"],
    EMAILS: ["q", "status__exact", "kind__exact", "created_at__month", "o", "p"],
}


@pytest.mark.parametrize("junk", JUNK, ids=["nul", "5000", "huge", "negative", "pct00", "inf", "q"])
@pytest.mark.parametrize("url", list(PARAMETERS), ids=["entries", "offers", "emails"])
def test_junk_in_a_lists_query_gives_no_server_error(as_desk, world, url, junk):
    join(world, "Ada Waiting")

    for name in PARAMETERS[url]:
        response = as_desk.get(url, {name: junk})
        assert response.status_code in {200, 302, 400}, (name, response.status_code)
