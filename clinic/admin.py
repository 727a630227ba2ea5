from django.contrib import admin
from django.db import transaction

from clinic.identity import forget_clinic
from clinic.models import ClinicProfile, OpeningHours

admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic admin"


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(ClinicProfile)
class ClinicProfileAdmin(admin.ModelAdmin):
    inlines = [OpeningHoursInline]
    fieldsets = [
        (None, {"fields": ["name", "tagline", "description"]}),
        ("Contact", {"fields": ["phone", "email", "bookings_inbox"]}),
        ("Address", {"fields": ["street_address", "locality", "postal_code", "country"]}),
        (
            "Booking policy",
            {
                "fields": [
                    "min_notice_hours",
                    "late_cancellation_hours",
                    "booking_horizon_days",
                    "request_notice_hours",
                    "short_notice_requests",
                    "cancellation_policy",
                ]
            },
        ),
        (
            "Waitlist",
            {
                "fields": [
                    "waitlist_offer_count",
                    "waitlist_offer_minutes",
                    "waitlist_offer_closes_minutes",
                ]
            },
        ),
        ("Privacy", {"fields": ["privacy_notice", "privacy_notice_version"]}),
    ]

    def has_add_permission(self, request):
        # One clinic, one record.
        return super().has_add_permission(request) and not ClinicProfile.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        transaction.on_commit(forget_clinic)
