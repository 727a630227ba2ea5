from django import forms
from django.contrib import admin
from django.db import transaction

from clinic.identity import forget_clinic
from clinic.models import ClinicProfile, OpeningHours


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClinicProfileForm(forms.ModelForm):
    """Mirrors the geo constraint with errors next to the fields (admin sets Meta)."""

    def clean(self):
        cleaned = super().clean()
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if (latitude is None) != (longitude is None) and not self.errors.get("latitude"):
            missing = "longitude" if longitude is None else "latitude"
            self.add_error(missing, "Give both latitude and longitude, or neither.")
        if latitude is not None and not -90 <= latitude <= 90:
            self.add_error("latitude", "A latitude lies between -90 and 90.")
        if longitude is not None and not -180 <= longitude <= 180:
            self.add_error("longitude", "A longitude lies between -180 and 180.")
        return cleaned


@admin.register(ClinicProfile)
class ClinicProfileAdmin(admin.ModelAdmin):
    form = ClinicProfileForm
    inlines = [OpeningHoursInline]
    fieldsets = [
        (None, {"fields": ["name", "tagline", "headline", "description"]}),
        ("Contact", {"fields": ["phone", "email", "bookings_inbox"]}),
        ("Address", {"fields": ["street_address", "locality", "postal_code", "country"]}),
        (
            "Finding us and search engines",
            {
                "fields": [
                    "directions",
                    "latitude",
                    "longitude",
                    "photo",
                    "price_range",
                    "medical_specialty",
                ]
            },
        ),
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
