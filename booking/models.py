from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from clinic.models import OpeningHours
from clinic.validators import NameField


class TreatmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Confirmation(models.TextChoices):
    """When an online booking of a treatment waits for staff to confirm it."""

    ALWAYS = "always", _("Always")
    NEVER = "never", _("Never")
    REVIEW = "review", _("When a safety answer needs review")


class Treatment(models.Model):
    # Start times a patient may pick fall on this many minutes past the hour.
    class StartStep(models.IntegerChoices):
        FIVE = 5, _("every 5 minutes")
        TEN = 10, _("every 10 minutes")
        FIFTEEN = 15, _("every 15 minutes")
        TWENTY = 20, _("every 20 minutes")
        THIRTY = 30, _("every 30 minutes")
        HOUR = 60, _("on the hour")

    name = NameField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    summary = models.CharField(_("summary"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    buffer_after_minutes = models.PositiveSmallIntegerField(
        _("buffer after (minutes)"),
        default=0,
        help_text=_("Clean-up and notes time kept free after each appointment."),
    )
    price = models.DecimalField(_("price"), max_digits=7, decimal_places=2)
    start_step_minutes = models.PositiveSmallIntegerField(
        _("start times offered"),
        choices=StartStep.choices,
        default=StartStep.FIFTEEN,
        help_text=_("How far apart the start times offered online are, from the full hour."),
    )
    is_needle_based = models.BooleanField(
        _("needle-based"),
        default=False,
        help_text=_("Patients answer the safety screening questions when booking."),
    )
    confirmation = models.CharField(
        _("staff confirm online bookings"),
        max_length=10,
        choices=Confirmation.choices,
        default=Confirmation.ALWAYS,
        help_text=_(
            "Always: every online booking is a request staff confirm. Never: booked at once. "
            "When answers need review: booked at once unless a safety answer needs a look first."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    objects = TreatmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("treatment")
        verbose_name_plural = _("treatments")
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="treatment_duration_sensible",
            ),
            models.CheckConstraint(
                condition=Q(buffer_after_minutes__lte=120), name="treatment_buffer_sensible"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="treatment_price_not_negative"),
            models.CheckConstraint(
                condition=Q(start_step_minutes__in=[5, 10, 15, 20, 30, 60]),
                name="treatment_start_step_divides_the_hour",
            ),
            models.CheckConstraint(
                condition=Q(confirmation__in=Confirmation.values),
                name="treatment_confirmation_valid",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def requires_confirmation(self) -> bool:
        """Every online booking is a request: the words say "Request" before any answer."""
        return self.confirmation == Confirmation.ALWAYS

    def needs_confirmation(self, screening: dict | None) -> bool:
        """Whether an online booking with these safety answers waits for staff."""
        if self.confirmation == Confirmation.REVIEW:
            return self.is_needle_based and bool(screening_flags(screening))
        return self.confirmation == Confirmation.ALWAYS


class PractitionerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Practitioner(models.Model):
    name = NameField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    credentials = models.CharField(
        _("credentials"), max_length=200, blank=True, help_text=_("For example: MSc, MCSP")
    )
    role = models.CharField(_("role"), max_length=120, blank=True)
    bio = models.TextField(_("biography"), blank=True)
    photo = models.ForeignKey(
        "images.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
        help_text=_("From the image library, with its text alternative. Square works best."),
    )
    treatments = models.ManyToManyField(
        Treatment, related_name="practitioners", blank=True, verbose_name=_("treatments offered")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practitioner",
        verbose_name=_("staff login"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    # The private calendar feed's token, stored as its SHA-256 only: a copy of
    # the database holds no working feed address. Empty: no feed.
    calendar_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    calendar_token_created_at = models.DateTimeField(
        _("calendar link made"), null=True, blank=True, editable=False
    )

    objects = PractitionerQuerySet.as_manager()

    class Meta:
        verbose_name = _("practitioner")
        verbose_name_plural = _("practitioners")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar_token_hash"],
                condition=~Q(calendar_token_hash=""),
                name="practitioner_calendar_token_unique",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("booking:practitioner_detail", kwargs={"slug": self.slug})


class TsTzRange(Func):
    """PostgreSQL's tstzrange(lower, upper), half-open: [lower, upper)."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class WeeklyAvailability(models.Model):
    """A practitioner's regular working interval on one weekday (several allow breaks)."""

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="weekly_availability"
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=OpeningHours.Weekday.choices)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("weekly working hours")
        verbose_name_plural = _("weekly working hours")
        ordering = ["practitioner", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="weekly_availability_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="weekly_availability_valid_weekday",
            ),
        ]

    def __str__(self):
        hours = f"{self.starts_at:%H:%M}–{self.ends_at:%H:%M}"
        return f"{self.practitioner}: {self.get_weekday_display()} {hours}"


class AvailabilityException(models.Model):
    """A dated change to one practitioner's week: time off, or extra hours."""

    class Kind(models.TextChoices):
        TIME_OFF = "time_off", _("Time off")
        EXTRA = "extra", _("Extra hours")

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    starts_at = models.TimeField(
        _("from"), null=True, blank=True, help_text=_("Leave both times empty for a whole day off.")
    )
    ends_at = models.TimeField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("availability exception")
        verbose_name_plural = _("availability exceptions")
        ordering = ["date", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["time_off", "extra"]),
                name="availability_exception_valid_kind",
            ),
            models.CheckConstraint(
                condition=(
                    Q(starts_at__isnull=True, ends_at__isnull=True, kind="time_off")
                    | Q(starts_at__isnull=False, ends_at__isnull=False, ends_at__gt=F("starts_at"))
                ),
                name="availability_exception_times_valid",
            ),
        ]

    def __str__(self):
        if self.starts_at is None:
            return f"{self.practitioner}: {self.get_kind_display()} on {self.date}"
        return (
            f"{self.practitioner}: {self.get_kind_display()} on {self.date} "
            f"{self.starts_at:%H:%M}–{self.ends_at:%H:%M}"
        )


class ClinicClosure(models.Model):
    """Days the whole clinic is closed, such as public holidays."""

    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("clinic closure")
        verbose_name_plural = _("clinic closures")
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="clinic_closure_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.starts_on}–{self.ends_on})"


class TimeSlotQuerySet(models.QuerySet):
    def bookable(self, *, now):
        return self.filter(is_blocked=False, ends_at__gt=now)

    def overlapping(self, *, starts_at, ends_at):
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


class TimeSlot(models.Model):
    """A block of one practitioner's bookable time, materialised from availability.

    Appointments are placed inside slots; treatments of different lengths fit
    because start times are computed within the block, not fixed per row.
    """

    class Source(models.TextChoices):
        GENERATED = "generated", _("From the weekly schedule")
        MANUAL = "manual", _("Added by staff")

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    is_blocked = models.BooleanField(
        _("blocked"), default=False, help_text=_("Blocked time is not offered to patients.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TimeSlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("time slot")
        verbose_name_plural = _("time slots")
        ordering = ["starts_at", "practitioner"]
        indexes = [models.Index(fields=["practitioner", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="time_slot_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(source__in=["generated", "manual"]), name="time_slot_valid_source"
            ),
            # A practitioner's slots never overlap, so no time is offered twice.
            ExclusionConstraint(
                name="time_slot_no_overlap",
                expressions=[
                    ("practitioner", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        return f"{self.practitioner}: {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


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
    screening = models.JSONField(
        _("safety screening answers"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    privacy_notice_version = models.CharField(_("privacy notice version"), max_length=20)
    decline_reason = models.TextField(_("reason given to the patient"), blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

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
        return screening_flags(self.screening)


class AppointmentStatusChange(models.Model):
    """Who moved an appointment from one status to another, and when."""

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

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["changed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_status__in=AppointmentStatus.values),
                name="status_change_valid_to_status",
            ),
        ]

    def __str__(self):
        return f"{self.from_status or '—'} → {self.to_status}"


class NotificationKind(models.TextChoices):
    REQUEST_RECEIVED = "request_received", _("Request received")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    REMINDER = "reminder", _("Reminder")
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


class RateLimitCounter(models.Model):
    """Booking attempts of one client address, or bookings of one e-mail, in a fixed window.

    The rate limits' store when Redis is not configured (or is down): one
    UPSERT per attempt (booking/ratelimit.py), shared by every server, never
    evicted early. Rows whose window has ended are deleted by `run_daily`.
    """

    key = models.CharField(_("key"), max_length=80, primary_key=True)
    count = models.PositiveIntegerField(_("count"), default=0)
    window_ends_at = models.DateTimeField(_("window ends"), db_index=True)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")
        ordering = ["window_ends_at"]

    def __str__(self):
        return f"{self.key}: {self.count} until {self.window_ends_at:%Y-%m-%d %H:%M}"


# --- Patients -------------------------------------------------------------------


def email_key(email: str) -> str:
    """An e-mail address as patients are matched by it: trimmed, lower case."""
    return (email or "").strip().lower()


def phone_key(phone: str) -> str:
    """A phone number as patients are matched by it: its digits, UK numbers in 0… form.

    "+44 7700 900123", "0044 7700 900123" and "07700 900123" are one number.
    """
    digits = "".join(c for c in (phone or "") if c.isascii() and c.isdigit())
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44") and len(digits) == 12:
        digits = "0" + digits[2:]
    return digits[:20]


# Short names for the screening questions' keys, where staff need to know at a glance.
SCREENING_FLAG_LABELS = {
    "pregnant": _("Pregnant"),
    "bleeding": _("Bleeding disorder or blood thinners"),
    "blood_thinners": _("Blood thinners"),
    "needle_fear": _("Needle fear or fainting"),
    "implant": _("Implanted device"),
    "recent_surgery": _("Recent surgery or infection"),
}


def screening_flags(answers) -> list[str]:
    """The safety answers that need a call before a needle treatment: every "yes"."""
    if not isinstance(answers, dict):
        return []
    flags = []
    for key, value in answers.items():
        if value is True or (isinstance(value, str) and value.strip().lower().startswith("yes")):
            flags.append(
                str(SCREENING_FLAG_LABELS.get(key, str(key).replace("_", " ").capitalize()))
            )
    return flags


class PatientQuerySet(models.QuerySet):
    def current(self):
        return self.filter(anonymised_at__isnull=True)


class Patient(models.Model):
    """A person the clinic treats: contact details and staff notes.

    Each appointment keeps what the patient gave when booking (name, contact
    details, safety answers, reason); the record is where staff find a
    returning patient and their history. A booking joins a record only when
    its name matches as well as its e-mail or phone; one that gives a known
    e-mail or phone under another name gets a record of its own, marked as a
    possible match for front desk to compare.
    """

    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(
        _("e-mail"),
        max_length=254,
        blank=True,
        help_text=_("Empty: the patient gets no e-mails from the clinic."),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    phone_key = models.CharField(_("phone digits"), max_length=20, blank=True, editable=False)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    notes = models.TextField(
        _("staff notes"),
        blank=True,
        help_text=_(
            "Every practitioner who treats the patient sees these. They are never e-mailed "
            "or put in a calendar."
        ),
    )
    possible_match = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("possible match"),
        help_text=_(
            "A record with this e-mail or phone under another name. Front desk compares "
            "the two and merges them, or marks them as different people."
        ),
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["email"], name="patient_email_idx"),
            models.Index(fields=["phone_key"], name="patient_phone_key_idx"),
        ]
        constraints = [
            # Matching by e-mail relies on one spelling of each address.
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="patient_email_lower_case"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="patient_has_a_name"),
            models.CheckConstraint(
                condition=~Q(possible_match=F("pk")), name="patient_not_its_own_match"
            ),
        ]

    def __str__(self):
        return self.name


# --- The waitlist -------------------------------------------------------------------


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
