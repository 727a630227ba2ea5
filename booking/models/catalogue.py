"""What the clinic offers: treatments and the practitioners who give them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clinic.validators import NameField


class TreatmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Confirmation(models.TextChoices):
    """When an online booking of a treatment waits for staff to confirm it."""

    ALWAYS = "always", _("Always")
    NEVER = "never", _("Never")
    REVIEW = "review", _("When an answer needs review")


# In links and forms, the practitioner choice that means "whoever is free first".
ANY_PRACTITIONER = "any"


class CourseSpacing(models.IntegerChoices):
    WEEKLY = 7, _("weekly")
    FORTNIGHTLY = 14, _("fortnightly")


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
    confirmation = models.CharField(
        _("staff confirm online bookings"),
        max_length=10,
        choices=Confirmation.choices,
        default=Confirmation.ALWAYS,
        help_text=_(
            "Always: every online booking is a request staff confirm. Never: booked at once. "
            "When answers need review: booked at once unless an answer to its intake forms "
            "needs a look first."
        ),
    )
    course_sessions = models.PositiveSmallIntegerField(
        _("sessions in a course"),
        null=True,
        blank=True,
        help_text=_(
            "Leave empty to offer single sessions only. With a number (2 to 12), patients "
            "may also book that many sessions in one go, at the spacing below."
        ),
    )
    course_spacing_days = models.PositiveSmallIntegerField(
        _("course spacing"),
        choices=CourseSpacing.choices,
        default=CourseSpacing.WEEKLY,
    )
    course_price = models.DecimalField(
        _("course price"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The price of the whole course, if it differs from the sessions' sum."),
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
            models.CheckConstraint(
                condition=Q(course_sessions__isnull=True)
                | Q(course_sessions__gte=2, course_sessions__lte=12),
                name="treatment_course_sessions_sensible",
            ),
            models.CheckConstraint(
                condition=Q(course_spacing_days__in=CourseSpacing.values),
                name="treatment_course_spacing_valid",
            ),
            models.CheckConstraint(
                condition=Q(course_price__isnull=True) | Q(course_price__gte=0),
                name="treatment_course_price_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def offers_course(self) -> bool:
        return bool(self.course_sessions)

    @property
    def requires_confirmation(self) -> bool:
        """Every online booking is a request: the words say "Request" before any answer."""
        return self.confirmation == Confirmation.ALWAYS

    def needs_confirmation(self, answers: dict | None, versions: dict | None = None) -> bool:
        """Whether an online booking with these answers to its forms waits for staff."""
        from booking.intake.questions import needs_confirmation

        return needs_confirmation(self, answers or {}, versions)


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
