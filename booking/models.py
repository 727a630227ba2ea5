from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class TreatmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Treatment(models.Model):
    name = models.CharField(_("name"), max_length=100)
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
    is_needle_based = models.BooleanField(
        _("needle-based"),
        default=False,
        help_text=_("Patients answer the safety screening questions when booking."),
    )
    requires_confirmation = models.BooleanField(
        _("needs staff confirmation"),
        default=True,
        help_text=_("Off: online bookings are confirmed at once."),
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
        ]

    def __str__(self):
        return self.name


class PractitionerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Practitioner(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    credentials = models.CharField(
        _("credentials"), max_length=200, blank=True, help_text=_("For example: MSc, MCSP")
    )
    role = models.CharField(_("role"), max_length=120, blank=True)
    bio = models.TextField(_("biography"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="practitioners/", blank=True)
    photo_alt = models.CharField(
        _("photo description"),
        max_length=200,
        blank=True,
        help_text=_("Describes the photo for people who cannot see it. Required with a photo."),
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

    objects = PractitionerQuerySet.as_manager()

    class Meta:
        verbose_name = _("practitioner")
        verbose_name_plural = _("practitioners")
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(photo="") | ~Q(photo_alt=""), name="practitioner_photo_has_alt"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("booking:practitioner_detail", kwargs={"slug": self.slug})
