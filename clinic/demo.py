"""The demo clinic's identity. Created once; staff edits are never overwritten."""

from datetime import time
from decimal import Decimal

from django.db import transaction

from clinic.identity import forget_clinic
from clinic.models import ClinicProfile, OpeningHours
from images import demo_pictures

PRIVACY_NOTICE = """\
Willow Lane Physiotherapy keeps the details you give us when you book (your name, \
e-mail address, phone number, the reason for your visit and any health screening \
answers) so that we can arrange and deliver your care. Nobody outside the clinic sees them.

We use your e-mail address and phone number only to confirm, remind you of, or change \
your appointments. We never sell your details or use them for advertising.

Booking records are kept for as long as the law requires for health records and are then \
anonymised. You may ask us for a copy of everything we hold about you, or ask us to \
correct it, by e-mailing or phoning the clinic.

This website sets only the cookies it needs to work, such as the one that remembers the \
steps of a booking. It uses no tracking or advertising cookies and loads nothing from \
other websites."""

CANCELLATION_POLICY = """\
Plans change, and that is fine. You can cancel or move an appointment online until \
24 hours before it starts, using the link in your confirmation e-mail. Inside those \
24 hours please phone us, so that we can offer the time to someone else who is in pain."""

DIRECTIONS = """\
On foot: Willow Lane is the second left off the High Street after the library. \
We are at number 14, the green door beside the bakery, five minutes from the station.

By bus: lines 3 and 12 stop at Library Corner, a two-minute walk away.

By car: there is no parking on Willow Lane itself. The Market Street car park is \
three minutes away, and two spaces in front of the clinic are kept for blue-badge holders. \
The entrance and treatment rooms are on the ground floor, with no steps."""

# Monday to Friday with a lunch break, Saturday mornings.
HOURS = [
    *[(day, time(8, 0), time(13, 0)) for day in range(5)],
    *[(day, time(14, 0), time(19, 0)) for day in range(5)],
    (5, time(9, 0), time(13, 0)),
]


@transaction.atomic
def load(stdout) -> None:
    if ClinicProfile.objects.exists():
        stdout.write("Clinic profile: already present, left as it is.")
        return
    clinic = ClinicProfile.objects.create(
        name="Willow Lane Physiotherapy",
        tagline="Physiotherapy and dry needling",
        headline="Move with less pain",
        description=(
            "A small physiotherapy clinic for people in pain: hands-on treatment, "
            "dry needling and exercise plans, booked online in a minute."
        ),
        phone="01632 960 418",
        email="hello@willowlane.example",
        street_address="14 Willow Lane",
        locality="Exampleton",
        postal_code="EX1 4WL",
        country="GB",
        # A made-up address in a made-up town: the coordinates are only an example.
        latitude=Decimal("51.752021"),
        longitude=Decimal("-1.257726"),
        directions=DIRECTIONS,
        photo=demo_pictures.illustration("room"),
        price_range="£45–£65",
        medical_specialty="Physiotherapy",
        cancellation_policy=CANCELLATION_POLICY,
        privacy_notice=PRIVACY_NOTICE,
        privacy_notice_version="2026-11",
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(clinic=clinic, weekday=day, opens=opens, closes=closes)
        for day, opens, closes in HOURS
    )
    transaction.on_commit(forget_clinic)
    stdout.write("Clinic profile: created.")
