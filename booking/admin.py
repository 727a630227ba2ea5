"""The staff workspace: appointments, schedules and e-mails in Django admin.

Every status change goes through booking.services (lock, re-check, log, mail);
every list, search, autocomplete, export and object page is scoped by
booking.permissions, so a practitioner only ever sees their own patients.
"""

import re
from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, F, Func, Q, Value
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking import admin_views
from booking.admin_forms import DeclineForm
from booking.errors import BookingError, InvalidTransitionError
from booking.exports import appointments_csv_response
from booking.models import (
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    AvailabilityException,
    ClinicClosure,
    Notification,
    NotificationStatus,
    Practitioner,
    TimeSlot,
    Treatment,
    WeeklyAvailability,
)
from booking.notifications import notification_resend
from booking.permissions import is_front_desk, practitioner_for, scope_to_user, sees_everything
from booking.schedule import local_midnight, week_start
from booking.services import appointment_change_status
from clinic.identity import get_clinic

S = AppointmentStatus
User = get_user_model()


# --- Scoping ------------------------------------------------------------------


class PractitionerScopedAdmin(admin.ModelAdmin):
    """Front desk sees every row; anyone else only rows of their own practitioner.

    `practitioner_path` leads from the model to its Practitioner ("" for
    Practitioner itself). get_queryset is what the changelist, search,
    autocomplete and the object pages all start from; the object pages also
    answer 404 for a row outside the user's scope instead of admin's redirect.
    """

    practitioner_path = "practitioner"

    def get_queryset(self, request):
        return scope_to_user(
            super().get_queryset(request), request.user, practitioner_path=self.practitioner_path
        )

    def practitioner_id_of(self, obj) -> int | None:
        target = obj
        for part in filter(None, self.practitioner_path.split("__")):
            target = getattr(target, part)
        return target.pk if target is not None else None

    def _in_scope(self, request, obj) -> bool:
        if obj is None or sees_everything(request.user):
            return True
        own = practitioner_for(request.user)
        return own is not None and self.practitioner_id_of(obj) == own.pk

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    def _404_outside_scope(self, request, object_id):
        if (
            not sees_everything(request.user)
            and self.get_object(request, unquote(object_id)) is None
        ):
            raise Http404(_("There is no such record, or it is not yours to see."))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._404_outside_scope(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._404_outside_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._404_outside_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A practitioner picks only themselves wherever a practitioner is chosen.
        if db_field.related_model is Practitioner and not sees_everything(request.user):
            kwargs["queryset"] = Practitioner.objects.filter(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Filters ------------------------------------------------------------------


class WhenFilter(admin.SimpleListFilter):
    """Today, this week, upcoming or past, by the clinic's calendar."""

    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [
            ("today", _("Today")),
            ("week", _("This week")),
            ("upcoming", _("Upcoming")),
            ("past", _("Past")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        today = timezone.localdate(now)
        if self.value() == "today":
            return queryset.filter(
                starts_at__gte=local_midnight(today),
                starts_at__lt=local_midnight(today + timedelta(days=1)),
            )
        if self.value() == "week":
            monday = week_start(today)
            return queryset.filter(
                starts_at__gte=local_midnight(monday),
                starts_at__lt=local_midnight(monday + timedelta(days=7)),
            )
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gte=now)
        if self.value() == "past":
            return queryset.filter(starts_at__lt=now)
        return queryset


# --- Appointments ---------------------------------------------------------------


class StatusChangeInline(ReadOnlyInline):
    model = AppointmentStatusChange
    fields = ["changed_at", "from_status", "to_status", "changed_by", "note"]
    readonly_fields = fields
    verbose_name_plural = _("status history")


class NotificationInline(ReadOnlyInline):
    model = Notification
    fields = ["kind", "status", "attempts", "created_at", "sent_at", "last_error"]
    readonly_fields = fields
    verbose_name_plural = _("e-mails to the patient")


# Status actions work on the list (selected rows) and on one appointment's page.
BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(PractitionerScopedAdmin):
    list_display = [
        "reference",
        "local_date",
        "local_time",
        "patient_name",
        "treatment",
        "practitioner",
        "status",
        "source",
    ]
    list_display_links = ["reference", "patient_name"]
    list_filter = [
        "status",
        ("practitioner", admin.RelatedOnlyFieldListFilter),
        "treatment",
        WhenFilter,
        "source",
    ]
    search_fields = ["patient_name", "email", "phone", "=reference"]
    search_help_text = _("Search by patient name, e-mail, phone or reference.")
    date_hierarchy = "starts_at"
    list_select_related = ["treatment", "practitioner"]
    ordering = ["-starts_at"]
    list_per_page = 50
    actions = [
        "confirm",
        "decline",
        "cancel_by_clinic",
        "mark_completed",
        "mark_no_show",
        "export_csv",
    ]
    inlines = [StatusChangeInline, NotificationInline]
    change_list_template = "admin/booking/appointmentrequest/change_list.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "status",
                    "source",
                    "treatment",
                    "practitioner",
                    "starts_at",
                    "ends_at",
                    "occupied_until",
                ]
            },
        ),
        (_("Patient"), {"fields": ["patient_name", "email", "phone", "is_new_patient", "reason"]}),
        (_("Safety screening"), {"fields": ["screening_answers"]}),
        (_("Outcome"), {"fields": ["decline_reason"]}),
        (
            _("Record"),
            {
                "classes": ["collapse"],
                "fields": [
                    "consent_at",
                    "privacy_notice_version",
                    "created_at",
                    "updated_at",
                    "anonymised_at",
                ],
            },
        ),
    ]
    # Time, practitioner, treatment and status change only through the services.
    readonly_fields = [
        "reference",
        "status",
        "source",
        "treatment",
        "practitioner",
        "starts_at",
        "ends_at",
        "occupied_until",
        "screening_answers",
        "decline_reason",
        "consent_at",
        "privacy_notice_version",
        "created_at",
        "updated_at",
        "anonymised_at",
    ]

    def get_search_results(self, request, queryset, search_term):
        """Stock search, plus phone numbers typed with or without spaces."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = re.sub(r"\D", "", search_term)
        if len(digits) < 5 or len(digits) < len(re.sub(r"[\s()+-]", "", search_term)):
            return found, may_have_duplicates
        phone_digits = Func(
            F("phone"),
            Value(r"\D"),
            Value(""),
            Value("g"),
            function="REGEXP_REPLACE",
            output_field=CharField(),
        )
        by_phone = queryset.annotate(phone_digits=phone_digits).filter(
            phone_digits__contains=digits
        )
        return (
            queryset.filter(Q(pk__in=found.values("pk")) | Q(pk__in=by_phone.values("pk"))),
            may_have_duplicates,
        )

    @admin.display(description=_("date"), ordering="starts_at")
    def local_date(self, obj):
        return timezone.localtime(obj.starts_at).strftime("%a %d %b %Y")

    @admin.display(description=_("time"), ordering="starts_at")
    def local_time(self, obj):
        start, end = timezone.localtime(obj.starts_at), timezone.localtime(obj.ends_at)
        return f"{start:%H:%M}–{end:%H:%M}"

    @admin.display(description=_("answers"))
    def screening_answers(self, obj):
        answers = obj.screening or {}
        if not answers:
            return _("None given")
        if not isinstance(answers, dict):
            return str(answers)

        def shown(value):
            if value is True:
                return _("Yes")
            if value is False:
                return _("No")
            return value

        return format_html(
            "<dl>{}</dl>",
            format_html_join(
                "",
                "<dt>{}</dt><dd>{}</dd>",
                ((str(key).replace("_", " ").capitalize(), shown(v)) for key, v in answers.items()),
            ),
        )

    # Appointments are records: they are cancelled, never deleted; new ones come
    # from the phone-in form, which books through the booking service.
    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        url = reverse("admin:booking_appointmentrequest_phone_in")
        if request.GET:
            url = f"{url}?{request.GET.urlencode()}"
        return HttpResponseRedirect(url)

    def get_urls(self):
        def wrap(view, **initkwargs):
            return self.admin_site.admin_view(view.as_view(model_admin=self, **initkwargs))

        return [
            path("schedule/", wrap(admin_views.ScheduleDayView), name="booking_schedule_day"),
            path(
                "schedule/week/",
                wrap(admin_views.ScheduleWeekView),
                name="booking_schedule_week",
            ),
            path(
                "schedule/slots/<int:slot_id>/block/",
                wrap(admin_views.SlotBlockView),
                name="booking_schedule_block_slot",
            ),
            path(
                "phone-in/",
                wrap(admin_views.PhoneInBookingView),
                name="booking_appointmentrequest_phone_in",
            ),
            path(
                "export.csv",
                wrap(admin_views.AppointmentExportView),
                name="booking_appointmentrequest_export",
            ),
            path(
                "access-request/",
                wrap(admin_views.AccessRequestView),
                name="booking_appointmentrequest_access_request",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "is_front_desk": is_front_desk(request.user),
            "export_query": request.GET.urlencode(),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "is_front_desk": is_front_desk(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    # --- Actions -------------------------------------------------------------

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        if not is_front_desk(request.user):
            actions.pop("export_csv", None)
        return actions

    def change_status(self, request, queryset, to_status, *, note=""):
        """Move each selected appointment through the service; report each outcome."""
        now = timezone.now()
        done = []
        for appointment_id in queryset.values_list("pk", flat=True):
            try:
                changed = appointment_change_status(
                    appointment_id=appointment_id,
                    to_status=to_status,
                    now=now,
                    by=request.user,
                    note=note,
                )
            except InvalidTransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
            except BookingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                done.append(changed.reference)
                self.log_change(request, changed, [{"changed": {"fields": [str(_("status"))]}}])
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d appointment marked %(status)s: %(refs)s.",
                    "%(count)d appointments marked %(status)s: %(refs)s.",
                    len(done),
                )
                % {
                    "count": len(done),
                    "status": S(to_status).label.lower(),
                    "refs": ", ".join(done),
                },
                messages.SUCCESS,
            )

    @admin.action(
        description=_("Confirm this request"),
        description_plural=_("Confirm selected requests"),
        permissions=["change"],
        location=BOTH,
    )
    def confirm(self, request, queryset):
        self.change_status(request, queryset, S.CONFIRMED)

    @admin.action(
        description=_("Decline this request (with a reason)…"),
        description_plural=_("Decline selected requests (with a reason)…"),
        permissions=["change"],
        location=BOTH,
    )
    def decline(self, request, queryset):
        if "apply" in request.POST:
            form = DeclineForm(request.POST)
            if form.is_valid():
                self.change_status(request, queryset, S.DECLINED, note=form.cleaned_data["reason"])
                return None
        else:
            form = DeclineForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Decline requests"),
            "subtitle": None,
            "opts": self.opts,
            "appointments": queryset.select_related("treatment", "practitioner"),
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/booking/appointmentrequest/decline.html", context)

    @admin.action(
        description=_("Cancel this appointment (by the clinic)"),
        description_plural=_("Cancel selected appointments (by the clinic)"),
        permissions=["change"],
        location=BOTH,
    )
    def cancel_by_clinic(self, request, queryset):
        self.change_status(request, queryset, S.CANCELLED_BY_CLINIC)

    @admin.action(
        description=_("Mark this appointment completed"),
        description_plural=_("Mark selected appointments completed"),
        permissions=["change"],
        location=BOTH,
    )
    def mark_completed(self, request, queryset):
        self.change_status(request, queryset, S.COMPLETED)

    @admin.action(
        description=_("Mark this appointment as a no-show"),
        description_plural=_("Mark selected appointments as no-show"),
        permissions=["change"],
        location=BOTH,
    )
    def mark_no_show(self, request, queryset):
        self.change_status(request, queryset, S.NO_SHOW)

    @admin.action(description=_("Export selected appointments as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        if not is_front_desk(request.user):
            raise PermissionDenied
        return appointments_csv_response(queryset)


@admin.register(AppointmentStatusChange)
class AppointmentStatusChangeAdmin(PractitionerScopedAdmin):
    practitioner_path = "appointment__practitioner"
    list_display = ["changed_at", "appointment", "from_status", "to_status", "changed_by", "note"]
    list_filter = ["to_status"]
    list_select_related = ["appointment__treatment", "changed_by"]
    search_fields = ["=appointment__reference"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(PractitionerScopedAdmin):
    """Every e-mail about an appointment, so staff notice the ones that did not go."""

    practitioner_path = "appointment__practitioner"
    list_display = [
        "created_at",
        "kind",
        "appointment",
        "status",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["appointment__treatment"]
    search_fields = ["=appointment__reference", "appointment__email"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "appointment",
        "kind",
        "for_starts_at",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    fields = readonly_fields

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    actions = ["send_again"]

    @admin.action(description=_("Send the selected failed e-mails again"), permissions=["view"])
    def send_again(self, request, queryset):
        if not is_front_desk(request.user):
            raise PermissionDenied
        failed = queryset.filter(status__in=[NotificationStatus.FAILED, NotificationStatus.GAVE_UP])
        ids = list(failed.values_list("pk", flat=True))
        for notification_id in ids:
            notification_resend(notification_id=notification_id)
        skipped = queryset.count() - len(ids)
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail queued to be sent again.",
                "%(count)d e-mails queued to be sent again.",
                len(ids),
            )
            % {"count": len(ids)},
            messages.SUCCESS if ids else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected e-mail had not failed and was left alone.",
                    "%(count)d selected e-mails had not failed and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.INFO,
            )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Schedules ------------------------------------------------------------------


class WeeklyAvailabilityInline(admin.TabularInline):
    model = WeeklyAvailability
    extra = 0
    verbose_name_plural = _("weekly working hours (add several intervals for breaks)")


class AvailabilityExceptionInline(admin.TabularInline):
    model = AvailabilityException
    extra = 0
    fields = ["date", "kind", "starts_at", "ends_at", "note"]


@admin.register(Practitioner)
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


@admin.register(Treatment)
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


@admin.register(ClinicClosure)
class ClinicClosureAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    date_hierarchy = "starts_on"
    search_fields = ["name"]


class SlotWhenFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(ends_at__gt=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(TimeSlot)
class TimeSlotAdmin(PractitionerScopedAdmin):
    list_display = ["practitioner", "local_start", "local_end", "source", "is_blocked"]
    list_filter = [
        SlotWhenFilter,
        ("practitioner", admin.RelatedOnlyFieldListFilter),
        "is_blocked",
        "source",
    ]
    list_select_related = ["practitioner"]
    date_hierarchy = "starts_at"
    actions = ["block", "unblock"]
    fields = ["practitioner", "starts_at", "ends_at", "is_blocked", "source"]
    change_list_template = "admin/booking/timeslot/change_list.html"

    @admin.display(description=_("starts"), ordering="starts_at")
    def local_start(self, obj):
        return timezone.localtime(obj.starts_at).strftime("%a %d %b %Y %H:%M")

    @admin.display(description=_("ends"), ordering="ends_at")
    def local_end(self, obj):
        return timezone.localtime(obj.ends_at).strftime("%H:%M")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["source", "is_blocked"]
        # Times of an existing slot are not moved (bookings sit inside it).
        return ["practitioner", "starts_at", "ends_at", "source"]

    def save_model(self, request, obj, form, change):
        from booking import services

        if change:
            if "is_blocked" in form.changed_data:
                services.slot_set_blocked(slot_id=obj.pk, blocked=obj.is_blocked)
            return
        created = services.slot_add_manual(
            practitioner=obj.practitioner, starts_at=obj.starts_at, ends_at=obj.ends_at
        )
        obj.pk = created.pk
        obj._state.adding = False

    def get_urls(self):
        return [
            path(
                "generate/",
                self.admin_site.admin_view(admin_views.GenerateSlotsView.as_view(model_admin=self)),
                name="booking_timeslot_generate",
            ),
            *super().get_urls(),
        ]

    def _set_blocked(self, request, queryset, blocked: bool):
        from booking import services

        count = 0
        for slot_id in queryset.values_list("pk", flat=True):
            try:
                services.slot_set_blocked(slot_id=slot_id, blocked=blocked)
            except BookingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                count += 1
        if count:
            message = (
                ngettext("%d slot blocked.", "%d slots blocked.", count)
                if blocked
                else ngettext("%d slot unblocked.", "%d slots unblocked.", count)
            )
            self.message_user(request, message % count, messages.SUCCESS)

    @admin.action(
        description=_("Block selected slots (not offered to patients)"), permissions=["change"]
    )
    def block(self, request, queryset):
        self._set_blocked(request, queryset, True)

    @admin.action(description=_("Unblock selected slots"), permissions=["change"])
    def unblock(self, request, queryset):
        self._set_blocked(request, queryset, False)


def schedule_url(day=None, *, week=False) -> str:
    name = "admin:booking_schedule_week" if week else "admin:booking_schedule_day"
    url = reverse(name)
    return f"{url}?{urlencode({'date': day.isoformat()})}" if day else url
