"""A clinic with staff logins for the admin tests: front desk and two practitioners.

Groups are made from the roles data migrations' own tables, so tests that
flush the database (browser tests) get the same roles the migrations create.
"""

import importlib
import itertools
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from booking.models import AppointmentRequest, AppointmentStatus, Practitioner, TimeSlot, Treatment
from tests.booking.intake_world import safety_kept

LONDON = ZoneInfo("Europe/London")
PASSWORD = "correct horse battery staple 42"
ROLE_MIGRATIONS = [
    "clinic.migrations.0002_staff_roles",
    "booking.migrations.0007_patient_roles",
    "booking.migrations.0009_waitlist_roles",
]

_numbers = itertools.count(1)
_password_hash = None


def _hashed_password() -> str:
    # Hashing is slow on purpose; hash the one test password once per run.
    global _password_hash
    if _password_hash is None:
        _password_hash = make_password(PASSWORD)
    return _password_hash


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def started_a_moment_ago() -> datetime:
    """A start today that has just passed (even a minute after midnight), for Today's marks."""
    now = timezone.now().astimezone(LONDON)
    midnight = datetime.combine(now.date(), time(0), tzinfo=LONDON)
    return max(now - timedelta(minutes=10), midnight).replace(second=0, microsecond=0)


def ensure_roles() -> None:
    wanted: dict[str, list[tuple[str, str]]] = {}
    for migration in ROLE_MIGRATIONS:
        for group_name, by_app in importlib.import_module(migration).ROLES.items():
            wanted.setdefault(group_name, []).extend(
                (app, f"{action}_{model}")
                for app, models in by_app.items()
                for model, actions in models.items()
                for action in actions
            )
    # One query for every permission the roles name, not one each.
    permissions = {
        (permission.content_type.app_label, permission.codename): permission
        for permission in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in={app for names in wanted.values() for app, _ in names}
        )
    }
    for group_name, names in wanted.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        # A missing permission is a KeyError here, as the migrations would fail.
        group.permissions.set([permissions[name] for name in names])


def staff_user(username: str, group: str | None) -> User:
    user = User.objects.create(
        username=username,
        password=_hashed_password(),
        is_staff=True,
        email=f"{username}@clinic.example",
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@dataclass
class StaffWorld:
    physio: Treatment
    maya: Practitioner
    tom: Practitioner
    desk: User
    maya_user: User
    tom_user: User
    day: date

    def slot(self, practitioner, start_hour, end_hour, day=None, **fields) -> TimeSlot:
        day = day or self.day
        return TimeSlot.objects.create(
            practitioner=practitioner,
            starts_at=at(day, start_hour),
            ends_at=at(day, end_hour),
            **fields,
        )

    def appointment(
        self,
        practitioner,
        hour,
        minute=0,
        *,
        day=None,
        status=AppointmentStatus.REQUESTED,
        **fields,
    ) -> AppointmentRequest:
        starts_at = at(day or self.day, hour, minute)
        ends_at = starts_at + timedelta(minutes=self.physio.duration_minutes)
        values = {
            "reference": f"S{next(_numbers):03d}-{secrets.token_hex(2).upper()}",
            "manage_token_hash": secrets.token_hex(32),
            "treatment": self.physio,
            "practitioner": practitioner,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "occupied_until": ends_at + timedelta(minutes=self.physio.buffer_after_minutes),
            "status": status,
            "patient_name": "Sam Patel",
            "email": "sam.patel@example.com",
            "phone": "07700 900123",
            "reason": "Stiff neck",
            "privacy_notice_version": "2026-11",
        }
        values.update(fields)
        if isinstance(values.get("answers"), dict):
            # Safety answers given as key to yes/no: kept as a booking keeps them.
            values["answers"] = safety_kept(values["answers"])
        return AppointmentRequest.objects.create(**values)


def build_staff_world(day: date) -> StaffWorld:
    ensure_roles()
    physio = Treatment.objects.create(
        name="Physiotherapy session",
        slug="physiotherapy-session",
        duration_minutes=45,
        buffer_after_minutes=15,
        price=Decimal("60.00"),
    )
    maya_user = staff_user("maya", "Practitioner")
    tom_user = staff_user("tom", "Practitioner")
    maya = Practitioner.objects.create(name="Maya Okafor", slug="maya-okafor", user=maya_user)
    tom = Practitioner.objects.create(name="Tom Reid", slug="tom-reid", user=tom_user)
    maya.treatments.add(physio)
    tom.treatments.add(physio)
    return StaffWorld(
        physio=physio,
        maya=maya,
        tom=tom,
        desk=staff_user("desk", "Front desk"),
        maya_user=maya_user,
        tom_user=tom_user,
        day=day,
    )
