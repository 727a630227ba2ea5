"""The demo clinic's team, treatments, weekly hours and bookable slots.

Safe to run again: records are created only when missing and nothing staff
changed is overwritten; the slots are regenerated idempotently, so the demo
stays bookable on later days.
"""

from datetime import date, time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from booking.models import ClinicClosure, Practitioner, Treatment, WeeklyAvailability
from booking.services import slots_generate
from clinic.identity import get_clinic

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
        "is_needle_based": True,
        "requires_confirmation": True,
        "sort_order": 1,
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
        "is_needle_based": False,
        "requires_confirmation": False,
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
        "is_needle_based": False,
        "requires_confirmation": False,
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
        "is_needle_based": False,
        "requires_confirmation": True,
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
        "is_needle_based": True,
        "requires_confirmation": True,
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
        # weekday: [(start, end), ...]
        "week": {
            0: [(time(8), time(13)), (time(14), time(17))],
            1: [(time(8), time(13)), (time(14), time(17))],
            2: [(time(12), time(13)), (time(14), time(19))],
            3: [(time(8), time(13)), (time(14), time(17))],
            5: [(time(9), time(13))],
        },
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
        "week": {
            0: [(time(14), time(19))],
            1: [(time(10), time(13)), (time(14), time(19))],
            3: [(time(10), time(13)), (time(14), time(19))],
            4: [(time(8), time(13)), (time(14), time(18))],
        },
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
        "week": {
            1: [(time(8), time(13))],
            2: [(time(8), time(13)), (time(14), time(19))],
            4: [(time(14), time(19))],
            5: [(time(9), time(13))],
        },
    },
]


def _closures(today: date) -> list[tuple[str, date, date]]:
    year = today.year if today < date(today.year, 12, 27) else today.year + 1
    return [
        ("Christmas", date(year, 12, 25), date(year, 12, 26)),
        ("New Year's Day", date(year + 1, 1, 1), date(year + 1, 1, 1)),
    ]


@transaction.atomic
def load(stdout) -> None:
    practitioners = {}
    for data in PRACTITIONERS:
        data = dict(data)
        week = data.pop("week")
        practitioner, created = Practitioner.objects.get_or_create(slug=data["slug"], defaults=data)
        practitioners[practitioner.slug] = practitioner
        if created:
            WeeklyAvailability.objects.bulk_create(
                WeeklyAvailability(practitioner=practitioner, weekday=day, starts_at=s, ends_at=e)
                for day, intervals in week.items()
                for s, e in intervals
            )
    created_treatments = 0
    for data in TREATMENTS:
        data = dict(data)
        offered_by = data.pop("practitioners")
        treatment, created = Treatment.objects.get_or_create(slug=data["slug"], defaults=data)
        if created:
            created_treatments += 1
            treatment.practitioners.add(*(practitioners[slug] for slug in offered_by))
    today = timezone.localdate()
    for name, first, last in _closures(today):
        ClinicClosure.objects.get_or_create(name=name, starts_on=first, defaults={"ends_on": last})
    days = get_clinic().booking_horizon_days + 1
    created_slots = slots_generate(start=today, days=days, now=timezone.now())
    stdout.write(
        f"Booking: {len(practitioners)} practitioners, {created_treatments} new treatments, "
        f"{created_slots} new slots for the next {days} days."
    )
