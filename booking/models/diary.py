"""When practitioners work: weekly hours, time off, closures, and the bookable slots."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from booking.models.catalogue import Practitioner
from clinic.models import OpeningHours


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
