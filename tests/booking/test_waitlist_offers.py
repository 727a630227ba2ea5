"""Freed time goes to the waitlist: who is offered it, when offers close, who leaves the list."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.errors import BookingError
from booking.models import (
    AppointmentStatus,
    Notification,
    NotificationKind,
    TimeSlot,
    WaitlistEntry,
    WaitlistOffer,
)
from booking.models import WaitlistEntryStatus as Entry
from booking.models import WaitlistOfferStatus as Offer
from booking.services import (
    appointment_change_status,
    appointment_move,
    patient_anonymise,
    patients_merge,
    slot_add_manual,
    slot_set_blocked,
    slots_generate,
)
from booking.waitlist.offers import entries_end, offer_expiry, offers_expire, offers_make
from booking.waitlist.services import waitlist_leave
from booking.waitlist.tasks import waitlist_refresh
from clinic.identity import forget_clinic, get_clinic
from tests.booking.booking_world import at, make_world
from tests.booking.waitlist_world import IMMEDIATE_TASKS, book, join, offer_time

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic):
    world = make_world()
    world.slot(world.maya, 9, 13)
    world.slot(world.tom, 9, 13)
    return world


@pytest.fixture
def now(world):
    return at(world.day, 8) - timedelta(days=2)


def offered(offers) -> list[str]:
    return [offer.entry.patient_name for offer in offers]


def statuses() -> dict[str, str]:
    return dict(WaitlistOffer.objects.values_list("entry__patient_name", "status"))


# --- Who gets a freed time ----------------------------------------------------------------


def test_a_freed_time_goes_to_the_clinics_number_of_people_earliest_joiners_first(world, now):
    names = ["Ann One", "Ben Two", "Cy Three", "Di Four", "Ed Five"]
    for name in names:
        join(world, name, now=now)

    offers = offer_time(world, now, 10)

    assert offered(offers) == names[:3]
    assert {offer.starts_at for offer in offers} == {at(world.day, 10)}


def test_the_number_offered_at_once_is_the_clinics_setting(world, now, clinic):
    clinic.waitlist_offer_count = 1
    clinic.save()
    forget_clinic()
    join(world, "Ann One", now=now)
    join(world, "Ben Two", now=now)

    assert offered(offer_time(world, now, 10)) == ["Ann One"]


def test_nobody_is_offered_the_same_time_twice_and_a_second_round_adds_nothing(world, now):
    for name in ["Ann One", "Ben Two"]:
        join(world, name, now=now)

    first = offer_time(world, now, 10)
    second = offer_time(world, now, 10)

    assert len(first) == 2
    assert second == []
    assert WaitlistOffer.objects.count() == 2


def test_an_offer_goes_only_to_people_whose_practitioner_days_and_times_of_day_fit(world, now):
    join(world, "Any Practitioner", now=now, email="any@example.com")
    join(world, "Wants Tom", now=now, practitioner=world.tom, email="tom.fan@example.com")
    join(world, "Wants Maya", now=now, practitioner=world.maya, email="maya.fan@example.com")
    join(world, "Afternoons Only", now=now, times=(False, True, False))
    later = world.day + timedelta(days=1)
    join(world, "Another Day", now=now, first_day=later, last_day=later)
    join(world, "Another Treatment", now=now, treatment=world.massage)

    assert sorted(offered(offer_time(world, now, 10))) == ["Any Practitioner", "Wants Tom"]


def test_the_freed_start_itself_is_offered_before_its_neighbours(world, now):
    join(world, "Ann One", now=now)

    [offer] = offer_time(world, now, 10, 30)

    assert offer.starts_at == at(world.day, 10, 30)


def test_a_time_clashing_with_the_patients_own_appointment_is_not_offered(world, now):
    join(world, "Ann One", now=now, email="ann@example.com")
    book(world, now, 10, practitioner=world.maya, treatment=world.massage, email="ann@example.com")

    assert offer_time(world, now, 10) == []


def test_the_waitlist_is_offered_only_times_the_booking_pages_would_offer(world, now, clinic):
    # Requests need confirmation time: a massage request too soon to confirm is not offered.
    clinic.request_notice_hours = 100
    clinic.save()
    forget_clinic()
    join(world, "Ann One", now=now, treatment=world.massage, practitioner=world.maya)

    assert offer_time(world, now, 10, practitioner=world.maya, minutes=70) == []


# --- Offers close --------------------------------------------------------------------------


def test_an_offer_is_open_for_two_hours_by_default(world, now):
    join(world, "Ann One", now=now)

    [offer] = offer_time(world, now, 10)

    assert offer.expires_at == now + timedelta(hours=2)


def test_an_offer_closes_an_hour_before_its_time_when_that_comes_first(world, clinic):
    clinic.min_notice_hours = 0
    clinic.save()
    forget_clinic()
    now = at(world.day, 8, 30)
    join(world, "Ann One", now=now)

    [offer] = offer_time(world, now, 10)

    assert offer.expires_at == at(world.day, 9)
    assert offer_expiry(starts_at=at(world.day, 9, 15), now=now, clinic=get_clinic()) is None


def test_expired_offers_go_to_the_next_people_in_line_and_the_first_stay_on_the_list(world, now):
    for name in ["Ann One", "Ben Two", "Cy Three", "Di Four", "Ed Five"]:
        join(world, name, now=now)
    offer_time(world, now, 10)
    later = now + timedelta(hours=2, minutes=1)

    done = waitlist_refresh(now=later)

    assert done["expired"] == 3
    assert statuses() == {
        "Ann One": Offer.EXPIRED,
        "Ben Two": Offer.EXPIRED,
        "Cy Three": Offer.EXPIRED,
        "Di Four": Offer.OPEN,
        "Ed Five": Offer.OPEN,
    }
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {Entry.WAITING}


def test_a_time_someone_let_expire_is_not_offered_to_them_again_at_a_neighbouring_start(world, now):
    join(world, "Ann One", now=now)
    offer_time(world, now, 10)

    done = waitlist_refresh(now=now + timedelta(hours=3))

    assert (done["expired"], done["offered"]) == (1, 0)
    assert WaitlistOffer.objects.count() == 1


def test_a_time_taken_by_someone_else_is_offered_again_when_it_comes_free_again(world, now):
    join(world, "Ann One", now=now)
    offer_time(world, now, 10)
    quick = book(world, now, 10, email="quick@example.com")
    appointment_change_status(
        appointment_id=quick.pk, to_status=AppointmentStatus.CANCELLED_BY_PATIENT, now=now
    )

    [again] = offer_time(world, now, 10)

    assert again.entry.patient_name == "Ann One"
    assert sorted(WaitlistOffer.objects.values_list("status", flat=True)) == [
        Offer.OPEN,
        Offer.TAKEN,
    ]


def test_an_open_offer_is_not_expired_early(world, now):
    join(world, "Ann One", now=now)
    offer_time(world, now, 10)

    assert offers_expire(now=now + timedelta(hours=1)) == (0, [])
    assert statuses() == {"Ann One": Offer.OPEN}


def test_a_place_whose_last_day_has_passed_ends_and_its_offers_close(world, now):
    entry = join(world, "Ann One", now=now)
    offer_time(world, now, 10)

    ended = entries_end(now=at(world.day + timedelta(days=1), 9))

    entry.refresh_from_db()
    assert (ended, entry.status) == (1, Entry.ENDED)
    assert statuses() == {"Ann One": Offer.WITHDRAWN}


# --- Leaving the list ----------------------------------------------------------------------


def test_booking_the_treatment_at_any_time_takes_the_patient_off_the_list(world, now):
    entry = join(world, "Ann One", now=now, email="ann@example.com")
    offer_time(world, now, 10)

    appointment = book(world, now, 12, practitioner=world.maya, email="ann@example.com")

    entry.refresh_from_db()
    assert (entry.status, entry.appointment) == (Entry.BOOKED, appointment)
    assert statuses() == {"Ann One": Offer.WITHDRAWN}


def test_booking_another_treatment_keeps_the_patient_on_the_list(world, now):
    entry = join(world, "Ann One", now=now, email="ann@example.com")

    book(world, now, 12, treatment=world.massage, practitioner=world.maya, email="ANN@example.com")

    entry.refresh_from_db()
    assert entry.status == Entry.WAITING


def test_a_phone_booking_for_the_patient_record_takes_them_off_the_list_too(world, now):
    from booking.services import appointment_book
    from tests.booking.booking_world import patient

    entry = join(world, "Ann One", now=now, email="ann@example.com")
    appointment_book(
        treatment=world.follow_up,
        practitioner=world.tom,
        starts_at=at(world.day, 11),
        patient=patient(name="Ann One", email=""),
        now=now,
        source="staff",
        patient_record=entry.patient,
    )

    entry.refresh_from_db()
    assert entry.status == Entry.BOOKED


def test_someone_booking_an_offered_time_closes_its_offers_as_taken(world, now):
    join(world, "Ann One", now=now)
    join(world, "Ben Two", now=now)
    offer_time(world, now, 10)

    book(world, now, 10, email="quick@example.com")

    assert statuses() == {"Ann One": Offer.TAKEN, "Ben Two": Offer.TAKEN}


def test_leaving_closes_the_open_offers_and_leaving_again_changes_nothing(world, now):
    entry = join(world, "Ann One", now=now)
    offer_time(world, now, 10)

    waitlist_leave(entry_id=entry.pk, now=now)
    left = waitlist_leave(entry_id=entry.pk, now=now + timedelta(hours=1))

    assert (left.status, left.closed_at) == (Entry.LEFT, now)
    assert statuses() == {"Ann One": Offer.WITHDRAWN}


# --- Joining --------------------------------------------------------------------------------


def test_joining_again_from_the_places_own_link_changes_the_wishes_and_keeps_the_place(world, now):
    first = join(world, "Ann One", now=now, email="ann@example.com")
    again = join(
        world,
        "Ann One",
        now=now,
        email="ann@example.com",
        times=(False, True, True),
        owned_references={first.reference},
    )

    assert again.pk == first.pk
    assert WaitlistEntry.objects.get().created_at == first.created_at
    assert (again.mornings, again.afternoons) == (False, True)
    kinds = Notification.objects.values_list("kind", flat=True)
    assert list(kinds) == [NotificationKind.WAITLIST_JOINED] * 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first_day": "yesterday"}, "cannot be in the past"),
        ({"last_day": "far"}, "last day in the booking calendar"),
        ({"practitioner": "maya", "treatment": "acupuncture"}, "does not offer"),
        ({"times": (False, False, False)}, "at least one time of day"),
    ],
)
def test_joining_with_wishes_the_clinic_cannot_meet_is_refused(world, now, change, message):
    from booking.models import Treatment

    wishes = {}
    if change.get("first_day"):
        wishes["first_day"] = now.date() - timedelta(days=1)
        wishes["last_day"] = world.day
    if change.get("last_day"):
        wishes["last_day"] = world.day + timedelta(days=400)
    if "treatment" in change:
        wishes["treatment"] = Treatment.objects.create(
            name="Acupuncture", slug="acupuncture", duration_minutes=45, price=60
        )
        wishes["practitioner"] = world.tom
    if "times" in change:
        wishes["times"] = change["times"]

    with pytest.raises(BookingError, match=message):
        join(world, "Ann One", now=now, **wishes)
    assert WaitlistEntry.objects.count() == 0


def test_the_database_keeps_one_waiting_place_per_address_and_treatment(world, now):
    entry = join(world, "Ann One", now=now)
    entry.pk = None
    entry.reference, entry.token_hash = "COPY-0001", "0" * 64

    with pytest.raises(IntegrityError), transaction.atomic():
        entry.save()


def test_the_database_refuses_a_second_open_offer_of_one_time_to_one_person(world, now):
    join(world, "Ann One", now=now)
    [offer] = offer_time(world, now, 10)
    offer.pk = None
    offer.reference, offer.token_hash = "COPY-0002", "1" * 64

    with pytest.raises(IntegrityError), transaction.atomic():
        offer.save()


# --- Time frees up: every way, matched after commit -----------------------------------------


@pytest.fixture
def immediate(settings, django_capture_on_commit_callbacks):
    """Tasks run at once, and on-commit callbacks run when the block ends."""
    settings.TASKS = IMMEDIATE_TASKS
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_staff_cancellation_offers_the_time_once_it_commits(world, now, immediate):
    taken = book(world, now, 10)
    join(world, "Ann One", now=now)
    assert WaitlistOffer.objects.count() == 0

    with immediate():
        appointment_change_status(
            appointment_id=taken.pk,
            to_status=AppointmentStatus.CANCELLED_BY_CLINIC,
            now=now,
            note="The practitioner is ill.",
        )
        assert WaitlistOffer.objects.count() == 0  # not before the commit

    [offer] = WaitlistOffer.objects.all()
    assert offer.starts_at == at(world.day, 10)


def test_a_decline_offers_the_time(world, now, immediate):
    taken = book(world, now, 10, treatment=world.dry_needling)
    join(world, "Ann One", now=now, treatment=world.dry_needling)

    with immediate():
        appointment_change_status(
            appointment_id=taken.pk, to_status=AppointmentStatus.DECLINED, now=now
        )

    assert WaitlistOffer.objects.get().starts_at == at(world.day, 10)


def test_a_move_offers_the_old_time_and_closes_offers_of_the_new_one(world, now, immediate):
    moving = book(world, now, 10)
    join(world, "Ann One", now=now)
    [waiting_for_noon] = offer_time(world, now, 12)

    with immediate():
        appointment_move(appointment_id=moving.pk, starts_at=at(world.day, 12), now=now)

    waiting_for_noon.refresh_from_db()
    assert waiting_for_noon.status == Offer.TAKEN
    assert WaitlistOffer.objects.filter(status=Offer.OPEN).get().starts_at == at(world.day, 10)


def test_unblocking_a_slot_offers_its_time(world, now, immediate):
    slot = TimeSlot.objects.get(practitioner=world.tom)
    slot_set_blocked(slot_id=slot.pk, blocked=True)
    join(world, "Ann One", now=now)

    with immediate():
        slot_set_blocked(slot_id=slot.pk, blocked=False)

    assert WaitlistOffer.objects.get().practitioner == world.tom


def test_added_hours_are_offered(world, now, immediate):
    join(world, "Ann One", now=now, times=(False, False, True))

    with immediate():
        slot_add_manual(
            practitioner=world.tom, starts_at=at(world.day, 17), ends_at=at(world.day, 19)
        )

    assert WaitlistOffer.objects.get().starts_at == at(world.day, 17)


def test_newly_generated_slots_are_offered(world, now, immediate):
    from booking.models import WeeklyAvailability

    TimeSlot.objects.filter(practitioner=world.tom).delete()
    WeeklyAvailability.objects.create(
        practitioner=world.tom,
        weekday=world.day.weekday(),
        starts_at=at(world.day, 14).timetz().replace(tzinfo=None),
        ends_at=at(world.day, 16).timetz().replace(tzinfo=None),
    )
    join(world, "Ann One", now=now, practitioner=world.tom)

    with immediate():
        slots_generate(start=world.day, days=1, now=now, practitioners=[world.tom])

    assert WaitlistOffer.objects.get().starts_at == at(world.day, 14)


def test_an_appointment_in_the_past_frees_nothing_to_offer(world, now, immediate):
    taken = book(world, now, 10)
    join(world, "Ann One", now=now)

    with immediate():
        appointment_change_status(
            appointment_id=taken.pk,
            to_status=AppointmentStatus.CANCELLED_BY_CLINIC,
            now=at(world.day, 11),
            note="The practitioner is ill.",
        )

    assert WaitlistOffer.objects.count() == 0


# --- Patient records --------------------------------------------------------------------------


def test_anonymising_a_patient_erases_their_places_and_stops_the_links(world, now):
    entry = join(world, "Ann One", now=now, email="ann@example.com", reason="Sore knee")
    offer_time(world, now, 10)

    patient_anonymise(patient_id=entry.patient_id, now=now)

    entry.refresh_from_db()
    assert entry.status == Entry.LEFT
    assert (entry.patient_name, entry.phone, entry.reason) == ("Anonymised", "", "")
    assert entry.token_hash.startswith("anonymised-")
    assert WaitlistOffer.objects.get().status == Offer.WITHDRAWN


def test_merging_patients_keeps_their_places_on_the_list(world, now):
    kept = join(world, "Ann One", now=now, email="ann@example.com")
    other = join(world, "Ann One", now=now, email="ann.one@example.com", treatment=world.massage)

    patients_merge(keep_id=kept.patient_id, merge_ids=[other.patient_id])

    other.refresh_from_db()
    assert other.patient_id == kept.patient_id


# --- Query budget -----------------------------------------------------------------------------


@pytest.mark.parametrize("people", [3, 30])
def test_a_round_of_offers_reads_a_constant_number_of_queries(
    world, now, people, django_assert_max_num_queries
):
    for n in range(people):
        join(
            world,
            f"Patient {n}",
            now=now,
            email=f"patient.{n}@example.com",
            treatment=[world.follow_up, world.massage][n % 2],
        )

    # A savepoint and its release, the lock, 5 reads, 2 per treatment waited for (slots
    # and appointments), the closures for request notice, and one insert each for the
    # offers and their e-mails, however many people wait.
    with django_assert_max_num_queries(2 + 1 + 5 + 2 * 2 + 1 + 2):
        offers_make(
            now=now,
            window_start=at(world.day, 9),
            window_end=at(world.day, 13),
            practitioner_ids=[world.maya.pk, world.tom.pk],
        )


# --- Through the real database queue and its worker, as in `make run` ---------------------------


@pytest.mark.django_db(transaction=True)
def test_the_worker_matches_a_cancellation_sends_the_offers_and_queues_their_expiry(
    clinic, mailoutbox
):
    from django_tasks_db.models import DBTaskResult

    from tests.booking.test_tasks import run_worker

    world = make_world()
    world.slot(world.tom, 9, 13)
    now = timezone.now()
    taken = book(world, now, 10, email="quick@example.com")
    join(world, "Ann One", now=now, email="ann@example.com")

    appointment_change_status(
        appointment_id=taken.pk,
        to_status=AppointmentStatus.CANCELLED_BY_CLINIC,
        now=now,
        note="The practitioner is ill.",
    )
    assert WaitlistOffer.objects.count() == 0  # the request does not wait for matching
    run_worker()  # matching, then the offer's e-mail

    offer = WaitlistOffer.objects.get()
    assert offer.starts_at == at(world.day, 10)
    assert [m.to for m in mailoutbox if m.subject.startswith("A time has come free")] == [
        ["ann@example.com"]
    ]
    expiry = DBTaskResult.objects.get(task_path="booking.waitlist.tasks.expire_offers")
    assert expiry.run_after == offer.expires_at
