from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clinic.validators import NameField

# The policies a new clinic record starts with; staff change them in admin.
DEFAULT_MIN_NOTICE_HOURS = 2
DEFAULT_LATE_CANCELLATION_HOURS = 24
DEFAULT_BOOKING_HORIZON_DAYS = 56
DEFAULT_REQUEST_NOTICE_HOURS = 2
DEFAULT_WAITLIST_OFFER_COUNT = 3
DEFAULT_WAITLIST_OFFER_MINUTES = 120
DEFAULT_WAITLIST_OFFER_CLOSES_MINUTES = 60


# Module-level functions because the migrations refer to them.
def default_min_notice_hours():
    return DEFAULT_MIN_NOTICE_HOURS


def default_late_cancellation_hours():
    return DEFAULT_LATE_CANCELLATION_HOURS


def default_booking_horizon_days():
    return DEFAULT_BOOKING_HORIZON_DAYS


def default_request_notice_hours():
    return DEFAULT_REQUEST_NOTICE_HOURS


def default_waitlist_offer_count():
    return DEFAULT_WAITLIST_OFFER_COUNT


def default_waitlist_offer_minutes():
    return DEFAULT_WAITLIST_OFFER_MINUTES


def default_waitlist_offer_closes_minutes():
    return DEFAULT_WAITLIST_OFFER_CLOSES_MINUTES


class ClinicProfile(models.Model):
    """The clinic's identity and policies: one record, edited by staff in admin."""

    class ShortNoticeRequests(models.TextChoices):
        PHONE = "phone", _("Show them, marked 'please phone us'")
        HIDE = "hide", _("Do not show them")

    singleton = models.BooleanField(default=True, editable=False)

    name = NameField(
        _("name"), max_length=120, help_text=_("Also the sender's name on booking e-mails.")
    )
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    headline = models.CharField(
        _("home page heading"),
        max_length=120,
        blank=True,
        help_text=_("The home page's main heading, in a few words. Empty: the clinic's name."),
    )
    description = models.TextField(
        _("short description"),
        blank=True,
        help_text=_("One or two sentences for search engines and the home page."),
    )
    phone = models.CharField(_("phone"), max_length=40)
    email = models.EmailField(_("public e-mail"))
    bookings_inbox = models.EmailField(
        _("bookings inbox"),
        blank=True,
        help_text=_("Where new booking requests are announced. Empty: the public e-mail."),
    )
    street_address = models.CharField(_("street address"), max_length=200)
    locality = models.CharField(_("town or city"), max_length=100)
    postal_code = models.CharField(_("postcode"), max_length=20)
    country = models.CharField(_("country code"), max_length=2, default="GB")

    # Where the clinic is, for search engines (schema.org geo) and for people
    # finding their way: text directions on the home page, no third-party map.
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("For example 51.507351. Empty: not published."),
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("For example -0.127758."),
    )
    directions = models.TextField(
        _("directions"),
        blank=True,
        help_text=_(
            "How to reach the clinic on foot, by bus or by car. Blank lines separate paragraphs."
        ),
    )
    photo = models.ForeignKey(
        "images.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("home page picture"),
        help_text=_(
            "From the image library: the clinic or its treatment room, shown on the home page."
        ),
    )
    price_range = models.CharField(
        _("price range"),
        max_length=40,
        blank=True,
        help_text=_("For search engines, e.g. £45–£80."),
    )
    medical_specialty = models.CharField(
        _("medical specialty"),
        max_length=60,
        blank=True,
        default="Physiotherapy",
        help_text=_("A schema.org MedicalSpecialty, for search engines. Empty: not published."),
    )

    cancellation_policy = models.TextField(
        _("cancellation policy"),
        help_text=_("Shown to patients when they book, cancel or reschedule."),
    )
    privacy_notice = models.TextField(
        _("privacy notice"), help_text=_("Plain text; blank lines separate paragraphs.")
    )
    privacy_notice_version = models.CharField(
        _("privacy notice version"),
        max_length=20,
        help_text=_("Change it whenever the notice changes; each booking records it."),
    )

    min_notice_hours = models.PositiveSmallIntegerField(
        _("minimum notice (hours)"),
        default=default_min_notice_hours,
        help_text=_("Patients cannot book online closer to the start than this."),
    )
    late_cancellation_hours = models.PositiveSmallIntegerField(
        _("late-cancellation window (hours)"),
        default=default_late_cancellation_hours,
        help_text=_("Inside this window patients must phone to cancel or reschedule."),
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        _("booking horizon (days)"),
        default=default_booking_horizon_days,
        help_text=_("How far ahead patients can book online."),
    )
    request_notice_hours = models.PositiveSmallIntegerField(
        _("time to confirm a request (opening hours)"),
        default=default_request_notice_hours,
        help_text=_(
            "Treatments that need staff confirmation can be requested online only when at "
            "least this many opening hours lie between the request and the appointment."
        ),
    )
    short_notice_requests = models.CharField(
        _("requests too soon to confirm"),
        max_length=10,
        choices=ShortNoticeRequests.choices,
        default=ShortNoticeRequests.PHONE,
        help_text=_("What the time picker does with times we could not confirm before they start."),
    )

    waitlist_offer_count = models.PositiveSmallIntegerField(
        _("waitlist: people offered a freed time at once"),
        default=default_waitlist_offer_count,
        help_text=_(
            "When a time comes free, this many people on the waitlist (earliest joiners "
            "first) are e-mailed at once; the first to claim it books it."
        ),
    )
    waitlist_offer_minutes = models.PositiveSmallIntegerField(
        _("waitlist: offer open for (minutes)"),
        default=default_waitlist_offer_minutes,
        help_text=_("How long an offer can be claimed; then the next people in line get it."),
    )
    waitlist_offer_closes_minutes = models.PositiveSmallIntegerField(
        _("waitlist: offers close before the time (minutes)"),
        default=default_waitlist_offer_closes_minutes,
        help_text=_("No offer can be claimed later than this before the appointment starts."),
    )

    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("clinic profile")
        verbose_name_plural = _("clinic profile")
        constraints = [
            models.UniqueConstraint(fields=["singleton"], name="clinic_profile_single_row"),
            models.CheckConstraint(
                condition=Q(singleton=True), name="clinic_profile_singleton_true"
            ),
            models.CheckConstraint(
                condition=Q(booking_horizon_days__gte=1), name="clinic_profile_horizon_positive"
            ),
            models.CheckConstraint(
                condition=Q(short_notice_requests__in=["phone", "hide"]),
                name="clinic_profile_valid_short_notice_requests",
            ),
            models.CheckConstraint(
                condition=Q(waitlist_offer_count__gte=1, waitlist_offer_count__lte=50),
                name="clinic_profile_waitlist_offer_count_sensible",
            ),
            models.CheckConstraint(
                condition=Q(waitlist_offer_minutes__gte=5),
                name="clinic_profile_waitlist_offer_minutes_sensible",
            ),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (
                    Q(latitude__gte=-90, latitude__lte=90)
                    & Q(longitude__gte=-180, longitude__lte=180)
                ),
                name="clinic_profile_geo_both_and_on_earth",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("home")

    @property
    def inbox(self) -> str:
        return self.bookings_inbox or self.email

    @property
    def has_geo(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def directions_paragraphs(self) -> list[str]:
        return [p.strip() for p in self.directions.split("\n\n") if p.strip()]

    @property
    def privacy_paragraphs(self) -> list[str]:
        return [p.strip() for p in self.privacy_notice.split("\n\n") if p.strip()]


class OpeningHours(models.Model):
    """One opening interval on a weekday; several per day allow a lunch break."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    clinic = models.ForeignKey(
        ClinicProfile, on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")), name="opening_hours_closes_after_opens"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="opening_hours_valid_weekday"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"
