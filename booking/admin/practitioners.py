"""Practitioners (profile, weekly hours, time off), treatments and clinic closures."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking import services
from booking.admin.pages import AdminPageView, NamedCellsInline
from booking.admin.scoping import PractitionerScopedAdmin, sees_everything
from booking.errors import BookingError
from booking.models import (
    AvailabilityException,
    Treatment,
    TreatmentIntakeForm,
    WeeklyAvailability,
)
from booking.models.courses import MOST_SESSIONS
from clinic.identity import get_clinic

User = get_user_model()


class WeeklyAvailabilityInline(NamedCellsInline):
    model = WeeklyAvailability
    extra = 0
    verbose_name_plural = _("weekly working hours (add several intervals for breaks)")


class AvailabilityExceptionInline(NamedCellsInline):
    model = AvailabilityException
    extra = 0
    fields = ["date", "kind", "starts_at", "ends_at", "note"]


class PractitionerAdmin(PractitionerScopedAdmin):
    practitioner_path = ""
    list_display = ["name", "role", "user", "is_active", "sort_order"]
    list_filter = ["is_active", "treatments"]
    search_fields = ["name", "role"]
    prepopulated_fields = {"slug": ["name"]}
    # A handful of treatments: plain checkboxes, which every screen reader names (admin's
    # two-box filter widget carries ARIA its icons may not have).
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    inlines = [WeeklyAvailabilityInline, AvailabilityExceptionInline]
    fieldsets = [
        (
            None,
            {"fields": ["name", "slug", "role", "credentials", "user", "is_active", "sort_order"]},
        ),
        (_("Profile"), {"fields": ["bio", "photo", "treatments"]}),
    ]

    change_form_template = "admin/booking/practitioner/change_form.html"

    def get_urls(self):
        view = CalendarLinkView.as_view(model_admin=self)
        return [
            path(
                "<int:practitioner_id>/calendar/",
                self.admin_site.admin_view(view),
                name="booking_practitioner_calendar",
            ),
            *super().get_urls(),
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


class TreatmentIntakeFormInline(NamedCellsInline):
    """The forms a treatment asks, and when: while booking, or before the first visit."""

    model = TreatmentIntakeForm
    extra = 0
    fields = ["form", "when", "position"]
    autocomplete_fields = ["form"]
    verbose_name = _("intake form")
    verbose_name_plural = _("intake forms asked")


class TreatmentForm(forms.ModelForm):
    """A treatment; its course fields say what the database would refuse, next to each field."""

    class Meta:
        model = Treatment
        fields = [
            "name",
            "slug",
            "summary",
            "description",
            "duration_minutes",
            "buffer_after_minutes",
            "price",
            "start_step_minutes",
            "confirmation",
            "is_active",
            "sort_order",
            "course_sessions",
            "course_spacing_days",
            "course_price",
        ]
        error_messages = {
            "course_sessions": {
                "invalid": _("Enter a whole number of sessions, from 2 to 12."),
                "max_value": _("A course is from 2 to 12 sessions, or leave it empty."),
            },
            "course_spacing_days": {
                "invalid_choice": _("Choose weekly or fortnightly."),
            },
            "course_price": {
                "invalid": _("Enter the course price in pounds, like 180 or 180.00."),
                "max_digits": _("That price is too large."),
                "max_whole_digits": _("That price is too large."),
                "max_decimal_places": _("Give the price to the penny at most."),
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A practitioner sees the treatment read-only: the form then has no such field.
        if "course_sessions" in self.fields:
            self.fields["course_sessions"].widget.attrs.update(min=2, max=MOST_SESSIONS)

    def clean_course_sessions(self):
        sessions = self.cleaned_data["course_sessions"]
        if sessions is not None and not 2 <= sessions <= MOST_SESSIONS:
            raise forms.ValidationError(
                _("A course is from 2 to %(most)d sessions, or leave it empty.")
                % {"most": MOST_SESSIONS}
            )
        return sessions

    def clean_course_price(self):
        price = self.cleaned_data["course_price"]
        if price is not None and price < 0:
            raise forms.ValidationError(_("A price cannot be below zero."))
        return price

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("course_price") is not None
            and not cleaned.get("course_sessions")
            and "course_sessions" not in self.errors
        ):
            self.add_error(
                "course_price",
                _("A course price needs a number of sessions: enter both, or clear the price."),
            )
        return cleaned


class TreatmentAdmin(admin.ModelAdmin):
    form = TreatmentForm
    list_display = [
        "name",
        "duration_minutes",
        "buffer_after_minutes",
        "price",
        "confirmation",
        "course_sessions",
        "is_active",
    ]
    list_filter = ["is_active", "confirmation"]
    inlines = [TreatmentIntakeFormInline]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "summary",
                    "description",
                    "duration_minutes",
                    "buffer_after_minutes",
                    "price",
                    "start_step_minutes",
                    "confirmation",
                    "is_active",
                    "sort_order",
                ]
            },
        ),
        (
            _("Course"),
            {
                "fields": ["course_sessions", "course_spacing_days", "course_price"],
                "description": _(
                    "Offer this treatment as a course too: patients book every session in one "
                    "go, at the same weekday and time with the same practitioner. Leave the "
                    "number of sessions empty to offer single sessions only."
                ),
            },
        ),
    ]


class ClinicClosureAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    date_hierarchy = "starts_on"
    search_fields = ["name"]


class CalendarLinkView(AdminPageView):
    """A practitioner's private calendar address: made anew (shown once) or switched off."""

    template_name = "admin/booking/practitioner/calendar.html"

    def dispatch(self, request, *args, **kwargs):
        self.practitioner = (
            self.model_admin.get_queryset(request).filter(pk=kwargs["practitioner_id"]).first()
        )
        if self.practitioner is None:
            raise Http404(_("There is no such practitioner, or it is not yours to see."))
        if not self.model_admin.has_change_permission(request, self.practitioner):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def page(self, *, address=""):
        return self.render(
            self.template_name,
            title=_("Calendar feed of %(name)s") % {"name": self.practitioner.name},
            practitioner=self.practitioner,
            address=address,
            weeks=settings.BOOKING_CALENDAR_FEED_WEEKS,
        )

    def get(self, request, practitioner_id):
        return self.page()

    def post(self, request, practitioner_id):
        if request.POST.get("do") == "off":
            services.practitioner_calendar_link_remove(practitioner_id=self.practitioner.pk)
            messages.success(request, _("The calendar feed is switched off."))
            return HttpResponseRedirect(request.path)
        token = services.practitioner_calendar_link_new(
            practitioner_id=self.practitioner.pk, now=timezone.now()
        )
        self.practitioner.refresh_from_db()
        # Shown in this response only: the token is not stored and never sent by e-mail.
        address = request.build_absolute_uri(
            reverse("booking:practitioner_calendar", kwargs={"token": token})
        )
        return self.page(address=address)
