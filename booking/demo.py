"""The demo clinic's team, treatments, weekly hours, bookable slots and one fully booked day.

Safe to run again: records are created only when missing and nothing staff
changed is overwritten; the slots are regenerated idempotently, so the demo
stays bookable on later days. load_showcase() (run by `load_demo` after every
app's load()) books one of Tom Lindqvist's coming days full, so a visitor
finds no time on it and can join the waitlist; cancelling one of those
appointments in the admin offers the time to them.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from booking.availability import clinic_zone, open_start_times
from booking.intake.demo import HEALTH_BACKGROUND, NEEDLE_SAFETY, form_attach, form_load
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    ClinicClosure,
    Confirmation,
    IntakeWhen,
    Practitioner,
    TimeSlot,
    Treatment,
    WeeklyAvailability,
)
from booking.services import PatientDetails, patient_for_details, slots_generate
from booking.tokens import digest, private_token_new, reference_new
from clinic.identity import get_clinic
from images import demo_pictures as demo_images

# The practitioner whose day the demo books full, and how far ahead that day is at least.
FULL_DAY_PRACTITIONER = "tom-lindqvist"
FULL_DAY_AFTER = timedelta(days=2)
DEMO_PATIENTS = [
    "Alex Morgan",
    "Priya Shah",
    "Jonas Berg",
    "Chloe Martin",
    "Daniel Osei",
    "Hannah Wright",
    "Leo Fischer",
    "Sofia Rossi",
    "Ben Carter",
    "Amara Nwosu",
    "Ruth Adeyemi",
    "Oliver Grant",
]

TREATMENTS = [
    {
        "slug": "dry-needling",
        "name": "Dry needling",
        "summary": "Fine sterile needles to settle tight, tender spots in muscle.",
        "description": (
            "Your physiotherapist assesses the painful area, then places fine, sterile, "
            "single-use needles into the tight and tender points that are feeding your "
            "pain. Most sessions also include advice and exercises to keep the benefit."
        ),
        "duration_minutes": 45,
        "buffer_after_minutes": 10,
        "price": Decimal("65.00"),
        "intake": ["needle-safety"],
        "confirmation": Confirmation.REVIEW,
        "sort_order": 1,
        # Also offered as a course: four weekly sessions, a little less than four singles.
        "course_sessions": 4,
        "course_spacing_days": 7,
        "course_price": Decimal("240.00"),
        "practitioners": ["maya-okafor", "tom-lindqvist"],
    },
    {
        "slug": "physiotherapy",
        "name": "Physiotherapy",
        "summary": "A full assessment, hands-on treatment and a plan you can follow.",
        "description": (
            "We listen to how the problem started, examine how you move, explain what we "
            "find in plain words and agree a plan with you: hands-on treatment, exercises "
            "and realistic goals."
        ),
        "duration_minutes": 45,
        "buffer_after_minutes": 5,
        "price": Decimal("60.00"),
        "confirmation": Confirmation.NEVER,
        "sort_order": 2,
        "practitioners": ["maya-okafor", "tom-lindqvist"],
    },
    {
        "slug": "physiotherapy-follow-up",
        "name": "Physiotherapy follow-up",
        "summary": "A shorter visit to review progress and adjust your plan.",
        "description": (
            "For patients we have already assessed: we check how you are getting on, "
            "treat what needs treating and move your exercises on."
        ),
        "duration_minutes": 30,
        "buffer_after_minutes": 5,
        "price": Decimal("45.00"),
        "confirmation": Confirmation.NEVER,
        "sort_order": 3,
        "practitioners": ["maya-okafor", "tom-lindqvist"],
    },
    {
        "slug": "massage-therapy",
        "name": "Massage therapy",
        "summary": "Sports and remedial massage for sore, overworked muscles.",
        "description": (
            "Deep, purposeful massage aimed at the muscles that are bothering you, with "
            "simple stretches to carry on at home."
        ),
        "duration_minutes": 60,
        "buffer_after_minutes": 10,
        "price": Decimal("55.00"),
        "confirmation": Confirmation.ALWAYS,
        "sort_order": 4,
        "practitioners": ["aisha-rahman"],
    },
    {
        "slug": "acupuncture",
        "name": "Acupuncture",
        "summary": "Needling along traditional points, offered alongside physiotherapy.",
        "description": (
            "Fine needles placed at chosen points, usually left in for a while as you "
            "rest. Often combined with exercise and advice for longer-standing pain."
        ),
        "duration_minutes": 45,
        "buffer_after_minutes": 10,
        "price": Decimal("60.00"),
        "intake": ["needle-safety"],
        "confirmation": Confirmation.ALWAYS,
        "sort_order": 5,
        "practitioners": ["tom-lindqvist"],
    },
]

PRACTITIONERS = [
    {
        "slug": "maya-okafor",
        "name": "Dr Maya Okafor",
        "credentials": "DPT, MCSP",
        "role": "Physiotherapist",
        "sort_order": 1,
        "bio": (
            "Maya treats neck, shoulder and back pain in people of every age, from desk "
            "workers to weekend footballers. She uses dry needling as one tool among "
            "several, always alongside exercise and a clear explanation of what is going "
            "on.\n\nOutside the clinic she coaches a junior netball team and is slowly "
            "learning the cello."
        ),
        # Working hours: each day, then its spans in whole hours.
        "week": "Mon 8-13 14-17; Tue 8-13 14-17; Wed 12-13 14-19; Thu 8-13 14-17; Sat 9-13",
    },
    {
        "slug": "tom-lindqvist",
        "name": "Tom Lindqvist",
        "credentials": "BSc, MCSP",
        "role": "Physiotherapist and acupuncturist",
        "sort_order": 2,
        "bio": (
            "Tom works mostly with runners and people whose heel, hip or knee pain keeps "
            "them from moving the way they want. He combines physiotherapy with "
            "acupuncture and dry needling, and likes to send patients home with a short, "
            "doable exercise routine.\n\nHe runs most mornings before the clinic opens."
        ),
        "week": "Mon 14-19; Tue 10-13 14-19; Thu 10-13 14-19; Fri 8-13 14-18",
    },
    {
        "slug": "aisha-rahman",
        "name": "Aisha Rahman",
        "credentials": "BSc",
        "role": "Sports and remedial massage therapist",
        "sort_order": 3,
        "bio": (
            "Aisha looks after sore, overworked muscles, whether the cause is training "
            "for an event or long days at a laptop. Her massage is firm but never "
            "rushed, and she explains each stretch she suggests.\n\nShe has worked at "
            "local half-marathons and cycling events for several years."
        ),
        "week": "Tue 8-13; Wed 8-13 14-19; Fri 14-19; Sat 9-13",
    },
]


def _closures(today: date) -> list[tuple[str, date, date]]:
    year = today.year if today < date(today.year, 12, 27) else today.year + 1
    return [
        ("Christmas", date(year, 12, 25), date(year, 12, 26)),
        ("New Year's Day", date(year + 1, 1, 1), date(year + 1, 1, 1)),
    ]


_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _working_hours(week: str):
    """ "Mon 8-13 14-17; Sat 9-13" as (weekday, start, end): (0, 08:00, 13:00), ..."""
    for day in week.split(";"):
        name, *spans = day.split()
        for span in spans:
            start, end = span.split("-")
            yield _WEEKDAYS.index(name), time(int(start)), time(int(end))


@transaction.atomic
def load(stdout) -> None:
    practitioners = {}
    for data in PRACTITIONERS:
        data = dict(data)
        week = data.pop("week")
        practitioner, created = Practitioner.objects.get_or_create(slug=data["slug"], defaults=data)
        practitioners[practitioner.slug] = practitioner
        if created:
            practitioner.photo = demo_images.portrait(practitioner.slug, practitioner.name)
            practitioner.save(update_fields=["photo"])
            WeeklyAvailability.objects.bulk_create(
                WeeklyAvailability(practitioner=practitioner, weekday=day, starts_at=s, ends_at=e)
                for day, s, e in _working_hours(week)
            )
    forms = {data["slug"]: form_load(data) for data in (NEEDLE_SAFETY, HEALTH_BACKGROUND)}
    created_treatments = 0
    for data in TREATMENTS:
        data = dict(data)
        offered_by = data.pop("practitioners")
        intake = data.pop("intake", [])
        treatment, created = Treatment.objects.get_or_create(slug=data["slug"], defaults=data)
        if created:
            created_treatments += 1
            treatment.practitioners.add(*(practitioners[slug] for slug in offered_by))
            for slug in intake:
                form_attach(treatment, forms[slug])
            if treatment.slug == "physiotherapy":  # the first assessment
                form_attach(treatment, forms["health-background"], IntakeWhen.BEFORE_VISIT)
    today = timezone.localdate()
    for name, first, last in _closures(today):
        ClinicClosure.objects.get_or_create(name=name, starts_on=first, defaults={"ends_on": last})
    days = get_clinic().booking_horizon_days + 1
    created_slots = slots_generate(start=today, days=days, now=timezone.now())
    stdout.write(
        f"Booking: {len(practitioners)} practitioners, {created_treatments} new treatments, "
        f"{created_slots} new slots for the next {days} days."
    )


@transaction.atomic
def load_showcase(stdout) -> None:
    """What `make run` adds to show the waitlist: one of Tom's days booked full.

    Kept out of load(), so that tests of other features start from a diary
    with no appointments in it.
    """
    practitioner = Practitioner.objects.filter(slug=FULL_DAY_PRACTITIONER).first()
    full = book_a_day_full(practitioner=practitioner, now=timezone.now()) if practitioner else None
    if full is not None:
        day, booked = full
        name = practitioner.name
        stdout.write(
            f"Waitlist demo: {name} is fully booked on {day:%A %d %B} ({booked} new "
            f"appointments). Book with {name}: that day has no times; choose 'Join the waitlist'."
        )


def book_a_day_full(
    *, practitioner: Practitioner, now, after: timedelta = FULL_DAY_AFTER, limit: int = 0
) -> tuple[date, int] | None:
    """Fill the practitioner's first working day after ``after`` with appointments
    (at most ``limit`` of them when it is set: `make screenshots` books a few today).

    The shortest treatment they offer is booked back to back until no
    treatment fits anywhere that day. Written straight to the database as
    confirmed demo appointments, so nobody is e-mailed; the exclusion
    constraint still guards every row. Returns the day and how many
    appointments were added (0 when it was full already), or None when the
    practitioner has no working day ahead.
    """
    treatment = practitioner.treatments.active().order_by("duration_minutes").first()
    zone = clinic_zone()
    first_slot = (
        TimeSlot.objects.filter(
            practitioner=practitioner, is_blocked=False, starts_at__gte=now + after
        )
        .order_by("starts_at")
        .first()
    )
    if treatment is None or first_slot is None:
        return None
    day = timezone.localtime(first_slot.starts_at, zone).date()
    day_start = datetime.combine(day, time(0), tzinfo=zone)
    day_end = day_start + timedelta(days=1)
    duration = timedelta(minutes=treatment.duration_minutes)
    held = duration + timedelta(minutes=treatment.buffer_after_minutes)
    booked = 0
    while True:
        free = next(
            iter(
                open_start_times(
                    treatment=treatment,
                    practitioner_ids=[practitioner.pk],
                    window_start=day_start,
                    window_end=day_end,
                )
            ),
            None,
        )
        if free is None or (limit and booked >= limit):
            return day, booked
        starts_at = free[1]
        name = DEMO_PATIENTS[booked % len(DEMO_PATIENTS)]
        email = name.lower().replace(" ", ".") + "@example.org"
        details = PatientDetails(name=name, email=email, phone="07700 900000", is_new_patient=False)
        reference = reference_new()
        appointment = AppointmentRequest.objects.create(
            reference=reference,
            manage_token_hash=digest(private_token_new(reference)),
            treatment=treatment,
            practitioner=practitioner,
            starts_at=starts_at,
            ends_at=starts_at + duration,
            occupied_until=starts_at + held,
            status=AppointmentStatus.CONFIRMED,
            source=AppointmentRequest.Source.STAFF,
            patient=patient_for_details(details=details),
            patient_name=name,
            email=email,
            phone=details.phone,
            is_new_patient=False,
            privacy_notice_version=get_clinic().privacy_notice_version or "demo",
        )
        AppointmentStatusChange.objects.create(
            appointment=appointment,
            to_status=AppointmentStatus.CONFIRMED,
            changed_at=now,
            note="Demo appointment",
        )
        booked += 1
