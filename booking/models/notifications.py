"""The e-mails the site sends: one row each, the truth staff see about what went out."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from booking.models.appointments import AppointmentRequest


class NotificationKind(models.TextChoices):
    REQUEST_RECEIVED = "request_received", _("Request received")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    REMINDER = "reminder", _("Reminder")
    FORMS_REMINDER = "forms_reminder", _("Pre-visit forms reminder")
    CLINIC_NEW_REQUEST = "clinic_new_request", _("New request (to the clinic)")
    CLINIC_CANCELLED = "clinic_cancelled", _("Cancelled online (to the clinic)")
    CLINIC_MOVED = "clinic_moved", _("Moved online (to the clinic)")
    WAITLIST_JOINED = "waitlist_joined", _("On the waitlist")
    WAITLIST_OFFER = "waitlist_offer", _("Waitlist offer")
    BOOKING_LINKS = "booking_links", _("Private links (find my booking)")


# What each kind of e-mail is about: one appointment, one waitlist entry, one
# offer, or (for "find my booking") an e-mail address.
APPOINTMENT_KINDS = [
    NotificationKind.REQUEST_RECEIVED,
    NotificationKind.CONFIRMED,
    NotificationKind.DECLINED,
    NotificationKind.CANCELLED,
    NotificationKind.RESCHEDULED,
    NotificationKind.REMINDER,
    NotificationKind.FORMS_REMINDER,
    NotificationKind.CLINIC_NEW_REQUEST,
    NotificationKind.CLINIC_CANCELLED,
    NotificationKind.CLINIC_MOVED,
]


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Failed")
    SKIPPED = "skipped", _("Not needed any more")


class Notification(models.Model):
    """One e-mail, tracked so staff can see failed sends.

    Most are about an appointment; the waitlist's are about an entry or an
    offer, and "find my booking" sends its links to an address.
    """

    Kind = NotificationKind
    Status = NotificationStatus

    appointment = models.ForeignKey(
        AppointmentRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    waitlist_entry = models.ForeignKey(
        "WaitlistEntry",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("waitlist entry"),
    )
    offer = models.ForeignKey(
        "WaitlistOffer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("waitlist offer"),
    )
    # Only for "find my booking": the address that asked, which has bookings.
    email = models.EmailField(_("to"), max_length=254, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    # The appointment's (or offer's) start when queued: a reminder is for one start time only.
    for_starts_at = models.DateTimeField(_("for the appointment at"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=NotificationStatus.choices,
        default=NotificationStatus.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_valid_kind"
            ),
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values), name="notification_valid_status"
            ),
            # A reminder goes out at most once for each start time.
            models.UniqueConstraint(
                fields=["appointment", "for_starts_at"],
                condition=Q(kind="reminder"),
                name="notification_one_reminder_per_start",
            ),
            # The pre-visit forms are asked again once, whatever happens to the time.
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(kind="forms_reminder"),
                name="notification_one_forms_reminder",
            ),
            # Each e-mail is about exactly the one thing its kind is about.
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=APPOINTMENT_KINDS,
                        appointment__isnull=False,
                        waitlist_entry__isnull=True,
                        offer__isnull=True,
                        email="",
                    )
                    | Q(
                        kind="waitlist_joined",
                        appointment__isnull=True,
                        waitlist_entry__isnull=False,
                        offer__isnull=True,
                        email="",
                    )
                    | Q(
                        kind="waitlist_offer",
                        appointment__isnull=True,
                        waitlist_entry__isnull=True,
                        offer__isnull=False,
                        email="",
                    )
                    | (
                        Q(
                            kind="booking_links",
                            appointment__isnull=True,
                            waitlist_entry__isnull=True,
                            offer__isnull=True,
                        )
                        & ~Q(email="")
                    )
                ),
                name="notification_about_one_thing",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.subject_label}"

    @property
    def subject_label(self) -> str:
        """What the e-mail is about, as staff read it in a list."""
        if self.appointment_id:
            return self.appointment.reference
        if self.waitlist_entry_id:
            return str(self.waitlist_entry)
        if self.offer_id:
            return str(self.offer)
        return _("find my booking")
