"""The waitlist: places patients hold for a treatment, and the offers of freed time made to them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from booking.models.appointments import AppointmentRequest
from booking.models.catalogue import Practitioner, Treatment
from booking.models.patients import email_key
from clinic.validators import NameField


class WaitlistEntryStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    BOOKED = "booked", _("Booked")
    LEFT = "left", _("Left the list")
    ENDED = "ended", _("Dates passed")


class WaitlistEntryQuerySet(models.QuerySet):
    def waiting(self, *, today):
        """Entries still waiting: on the list, and their last day not yet past."""
        return self.filter(status=WaitlistEntryStatus.WAITING, last_day__gte=today)

    def waiting_for_email(self, email, *, today):
        return self.waiting(today=today).filter(email=email_key(email)).order_by("first_day")


class WaitlistEntry(models.Model):
    """A patient waiting for a time that suits them to come free.

    The entry keeps the contact details it was made with, like an
    appointment, and belongs to a patient record. Its private link works
    like an appointment's: the token is derived from the reference and only
    its SHA-256 is stored.
    """

    Status = WaitlistEntryStatus

    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    treatment = models.ForeignKey(
        Treatment,
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
        verbose_name=_("treatment"),
    )
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        verbose_name=_("practitioner"),
        help_text=_("Empty: any practitioner who offers the treatment."),
    )
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"))
    mornings = models.BooleanField(_("mornings"), default=True)
    afternoons = models.BooleanField(_("afternoons"), default=True)
    evenings = models.BooleanField(_("evenings"), default=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=WaitlistEntryStatus.choices,
        default=WaitlistEntryStatus.WAITING,
    )

    patient = models.ForeignKey(
        "Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        verbose_name=_("patient record"),
    )
    patient_name = NameField(_("patient name"), max_length=120)
    email = models.EmailField(_("e-mail"), max_length=254)
    phone = models.CharField(_("phone"), max_length=32)
    is_new_patient = models.BooleanField(_("new patient"), default=True)
    reason = models.TextField(_("reason for visit"), max_length=2000, blank=True)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    privacy_notice_version = models.CharField(_("privacy notice version"), max_length=20)

    created_at = models.DateTimeField(_("joined"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("left the list"), null=True, blank=True)
    appointment = models.ForeignKey(
        AppointmentRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked appointment"),
        help_text=_("The booking that took the patient off the list."),
    )
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "last_day"], name="waitlist_entry_waiting_idx"),
            models.Index(fields=["email"], name="waitlist_entry_email_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=WaitlistEntryStatus.values),
                name="waitlist_entry_valid_status",
            ),
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")),
                name="waitlist_entry_last_day_not_before_first",
            ),
            models.CheckConstraint(
                condition=Q(mornings=True) | Q(afternoons=True) | Q(evenings=True),
                name="waitlist_entry_some_time_of_day",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="waitlist_entry_email_lower_case"
            ),
            # One place in the line per address and treatment: joining again
            # changes the dates of the place already held.
            models.UniqueConstraint(
                fields=["email", "treatment"],
                condition=Q(status="waiting"),
                name="waitlist_entry_one_waiting_per_treatment",
            ),
        ]

    def __str__(self):
        return f"{self.reference} · {self.patient_name} · {self.treatment}"

    @property
    def is_waiting(self) -> bool:
        return self.status == WaitlistEntryStatus.WAITING

    @property
    def times_of_day(self) -> list[str]:
        parts = [
            (self.mornings, _("mornings")),
            (self.afternoons, _("afternoons")),
            (self.evenings, _("evenings")),
        ]
        return [str(label) for wanted, label in parts if wanted]

    @property
    def times_of_day_label(self) -> str:
        parts = self.times_of_day
        if len(parts) == 3:
            return str(_("any time of day"))
        return " and ".join(parts)


class WaitlistOfferStatus(models.TextChoices):
    OPEN = "open", _("Sent, open")
    CLAIMED = "claimed", _("Claimed")
    TAKEN = "taken", _("Taken by someone else")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class WaitlistOfferQuerySet(models.QuerySet):
    def open(self, *, now):
        return self.filter(status=WaitlistOfferStatus.OPEN, expires_at__gt=now)

    def overlapping(self, *, starts_at, occupied_until):
        return self.filter(starts_at__lt=occupied_until, occupied_until__gt=starts_at)


class WaitlistOffer(models.Model):
    """A freed time offered to one person on the waitlist; the first claim books it.

    The same time goes to several people at once, so offers are not holds:
    the booking service and its exclusion constraint decide who gets it.
    """

    Status = WaitlistOfferStatus

    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    entry = models.ForeignKey(
        WaitlistEntry,
        on_delete=models.CASCADE,
        related_name="offers",
        verbose_name=_("waitlist entry"),
    )
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="waitlist_offers",
        verbose_name=_("practitioner"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    occupied_until = models.DateTimeField(_("time held until"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=WaitlistOfferStatus.choices,
        default=WaitlistOfferStatus.OPEN,
    )
    created_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("open until"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    appointment = models.ForeignKey(
        AppointmentRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_offers",
        verbose_name=_("booked appointment"),
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered by"),
        help_text=_("Empty when the time was offered automatically as it came free."),
    )

    objects = WaitlistOfferQuerySet.as_manager()

    class Meta:
        verbose_name = _("waitlist offer")
        verbose_name_plural = _("waitlist offers")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["practitioner", "starts_at"], name="waitlist_offer_time_idx"),
            models.Index(fields=["status", "expires_at"], name="waitlist_offer_open_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=WaitlistOfferStatus.values),
                name="waitlist_offer_valid_status",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at"), occupied_until__gte=F("ends_at")),
                name="waitlist_offer_times_in_order",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at"), expires_at__lte=F("starts_at")),
                name="waitlist_offer_expires_before_the_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="claimed") | Q(appointment__isnull=False),
                name="waitlist_offer_claimed_has_appointment",
            ),
            # Each person gets one open offer of a given time.
            models.UniqueConstraint(
                fields=["entry", "practitioner", "starts_at"],
                condition=Q(status="open"),
                name="waitlist_offer_open_once_per_entry",
            ),
        ]

    def __str__(self):
        return f"{self.reference} · {self.practitioner} {localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status == WaitlistOfferStatus.OPEN
