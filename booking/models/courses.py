"""Courses of treatment: several sessions of one treatment, booked and managed as one."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from booking.models.catalogue import CourseSpacing, Practitioner, Treatment
from booking.models.patients import Patient

# A course is at least two sessions and, booked in one go, at most this many.
MOST_SESSIONS = 12


class Course(models.Model):
    """The appointments of one course, booked together: all of them or none.

    Each session is an ordinary appointment (so the exclusion constraint
    guards every one) that points here with its number in the course.
    """

    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    treatment = models.ForeignKey(
        Treatment, on_delete=models.PROTECT, related_name="courses", verbose_name=_("treatment")
    )
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("practitioner"),
    )
    patient = models.ForeignKey(
        Patient,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="courses",
        verbose_name=_("patient"),
    )
    sessions = models.PositiveSmallIntegerField(_("sessions"))
    spacing_days = models.PositiveSmallIntegerField(
        _("spacing"), choices=CourseSpacing.choices, default=CourseSpacing.WEEKLY
    )
    price = models.DecimalField(
        _("course price"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The price agreed for the whole course, if it has one."),
    )
    created_at = models.DateTimeField(_("booked"), auto_now_add=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions__gte=2, sessions__lte=MOST_SESSIONS),
                name="course_sessions_sensible",
            ),
            models.CheckConstraint(
                condition=Q(spacing_days__in=CourseSpacing.values),
                name="course_spacing_valid",
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0),
                name="course_price_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.reference} · {self.treatment} × {self.sessions}"
