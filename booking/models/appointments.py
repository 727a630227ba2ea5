"""Appointments, from request to outcome, and the history of their statuses."""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from booking.models.catalogue import Practitioner, Treatment
from booking.models.diary import TsTzRange
from booking.models.patients import email_key
from clinic.validators import NameField


class AppointmentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    DECLINED = "declined", _("Declined")
    CANCELLED_BY_PATIENT = "cancelled_by_patient", _("Cancelled by patient")
    CANCELLED_BY_CLINIC = "cancelled_by_clinic", _("Cancelled by clinic")


# Appointments in these states hold their time; no other may overlap them.
ACTIVE_STATUSES = [AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED]


class AppointmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def overlapping(self, *, starts_at, occupied_until):
        return self.filter(starts_at__lt=occupied_until, occupied_until__gt=starts_at)

    def with_forms_missing(self):
        """Each appointment with `forms_missing`: how many pre-visit forms are not filled in."""
        from booking.models.intake import IntakeInvitation

        missing = (
            IntakeInvitation.objects.filter(appointment=OuterRef("pk"), answered_at__isnull=True)
            .values("appointment")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(forms_missing=Coalesce(Subquery(missing), 0))

    def upcoming_for_email(self, email, *, now):
        """Active appointments still ahead that were booked with this address (any case)."""
        return self.active().filter(email=email_key(email), ends_at__gt=now).order_by("starts_at")


class AppointmentRequest(models.Model):
    """A patient's appointment, from request to its outcome."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        STAFF = "staff", _("By staff")

    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    # SHA-256 of the private link's token: a copy of the database opens no appointment.
    manage_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # SHA-256 of the single-use key of the review form that made an online booking,
    # so that pressing the final button again finds this booking instead of a new one.
    booking_key_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    treatment = models.ForeignKey(
        Treatment,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("treatment"),
    )
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("practitioner"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    occupied_until = models.DateTimeField(
        _("time held until"), help_text=_("The end plus the treatment's buffer.")
    )
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.REQUESTED,
    )
    source = models.CharField(
        _("booked"), max_length=10, choices=Source.choices, default=Source.ONLINE
    )

    patient = models.ForeignKey(
        "Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("patient record"),
        help_text=_("Set by every booking; empty only on rows written outside the services."),
    )
    patient_name = NameField(_("patient name"), max_length=120)
    # Empty for a patient booked by phone who has no e-mail: they get no e-mails.
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=32)
    is_new_patient = models.BooleanField(_("new patient"), default=True)
    reason = models.TextField(_("reason for visit"), max_length=2000, blank=True)
    # The intake forms' answers, each kept with the words it answered
    # (booking.intake.questions.answers_kept): later edits of a form never
    # change what a stored answer means.
    answers = models.JSONField(
        _("answers to intake forms"), default=list, blank=True, encoder=DjangoJSONEncoder
    )
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    privacy_notice_version = models.CharField(_("privacy notice version"), max_length=20)
    decline_reason = models.TextField(_("reason given to the patient"), blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    course = models.ForeignKey(
        "booking.Course",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("course"),
    )
    course_session = models.PositiveSmallIntegerField(
        _("session of the course"), null=True, blank=True
    )

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["practitioner", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["email"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AppointmentStatus.values), name="appointment_valid_status"
            ),
            models.CheckConstraint(
                condition=Q(source__in=["online", "staff"]), name="appointment_valid_source"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(occupied_until__gte=F("ends_at")),
                name="appointment_held_through_end",
            ),
            models.UniqueConstraint(
                fields=["booking_key_hash"],
                condition=~Q(booking_key_hash=""),
                name="appointment_booking_key_once",
            ),
            # A session of a course knows its number, once per course.
            models.CheckConstraint(
                condition=Q(course__isnull=True, course_session__isnull=True)
                | Q(course__isnull=False, course_session__gte=1),
                name="appointment_course_session_numbered",
            ),
            models.UniqueConstraint(
                fields=["course", "course_session"], name="appointment_course_session_once"
            ),
            # The heart of the site: two active appointments of one
            # practitioner never overlap, buffer included, whoever books them.
            ExclusionConstraint(
                name="appointment_no_double_booking",
                expressions=[
                    ("practitioner", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "occupied_until"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
        ]

    def __str__(self):
        return f"{self.reference} · {self.patient_name} · {self.treatment}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def safety_flags(self) -> list[str]:
        """The answers the intake forms flag for staff to look at before the visit."""
        from booking.intake.questions import kept_flags

        return kept_flags(self.answers)


class StatusChangeKind(models.TextChoices):
    CHANGE = "change", _("change")
    ARRIVAL = "arrival", _("arrival")
    UNDO = "undo", _("undo")
    CORRECTION = "correction", _("correction")


class AppointmentStatusChange(models.Model):
    """Who moved an appointment from one status to another, and when.

    Undoing a change is a change of its own, pointing at the one it undoes; the
    history is only ever added to.
    """

    appointment = models.ForeignKey(
        AppointmentRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(
        _("from"), max_length=24, choices=AppointmentStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=24, choices=AppointmentStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when the patient or the system made the change."),
    )
    changed_at = models.DateTimeField(_("when"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    kind = models.CharField(
        _("kind"), max_length=12, choices=StatusChangeKind.choices, default=StatusChangeKind.CHANGE
    )
    # One-to-one: a change can be undone once, whoever presses Undo first.
    undoes = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="undone_by",
        verbose_name=_("undoes"),
    )

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["changed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_status__in=AppointmentStatus.values),
                name="status_change_valid_to_status",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=StatusChangeKind.values),
                name="status_change_valid_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="undo", undoes__isnull=False)
                | Q(~Q(kind="undo"), undoes__isnull=True),
                name="status_change_undo_names_its_change",
            ),
        ]

    def __str__(self):
        return f"{self.from_status or '—'} → {self.to_status}"
