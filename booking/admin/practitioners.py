"""Practitioners (profile, weekly hours, time off), treatments and clinic closures."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking.admin.scoping import PractitionerScopedAdmin, sees_everything
from booking.errors import BookingError
from booking.models import AvailabilityException, WeeklyAvailability
from clinic.identity import get_clinic

User = get_user_model()


class WeeklyAvailabilityInline(admin.TabularInline):
    model = WeeklyAvailability
    extra = 0
    verbose_name_plural = _("weekly working hours (add several intervals for breaks)")


class AvailabilityExceptionInline(admin.TabularInline):
    model = AvailabilityException
    extra = 0
    fields = ["date", "kind", "starts_at", "ends_at", "note"]


class PractitionerAdmin(PractitionerScopedAdmin):
    practitioner_path = ""
    list_display = ["name", "role", "user", "is_active", "sort_order"]
    list_filter = ["is_active", "treatments"]
    search_fields = ["name", "role"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["treatments"]
    inlines = [WeeklyAvailabilityInline, AvailabilityExceptionInline]
    fieldsets = [
        (
            None,
            {"fields": ["name", "slug", "role", "credentials", "user", "is_active", "sort_order"]},
        ),
        (_("Profile"), {"fields": ["bio", "photo", "photo_alt", "treatments"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        if sees_everything(request.user):
            return []
        # A practitioner keeps their own hours and profile, not who they are.
        return ["name", "slug", "user", "is_active", "sort_order", "treatments"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if sees_everything(request.user) else {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(is_staff=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- Generate slots ---------------------------------------------------------

    actions = ["generate_slots"]

    def has_generate_slots_permission(self, request):
        return request.user.has_perm("booking.add_timeslot")

    @admin.action(
        description=_("Generate slots for the selected practitioners (booking horizon)"),
        permissions=["generate_slots"],
    )
    def generate_slots(self, request, queryset):
        from booking import services

        days = get_clinic().booking_horizon_days + 1
        try:
            created = services.slots_generate(
                start=timezone.localdate(),
                days=days,
                now=timezone.now(),
                practitioners=list(queryset),
            )
        except BookingError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request,
            ngettext(
                "%(count)d new slot made for the next %(days)d days.",
                "%(count)d new slots made for the next %(days)d days.",
                created,
            )
            % {"count": created, "days": days},
            messages.SUCCESS,
        )


class TreatmentAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "duration_minutes",
        "buffer_after_minutes",
        "price",
        "is_needle_based",
        "requires_confirmation",
        "is_active",
    ]
    list_filter = ["is_active", "is_needle_based", "requires_confirmation"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ClinicClosureAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    date_hierarchy = "starts_on"
    search_fields = ["name"]
