"""The appointment list and each appointment's page: filters, search, status actions.

Every status change goes through booking.services (lock, re-check, log, mail);
every list, search, autocomplete, export and object page is scoped by
booking.admin.scoping, so a practitioner only ever sees their own patients.
The status actions are made in status_actions.py; the staff pages under this
admin's URLs (schedule, phone-in, move, Today, exports) are listed in page_urls.py.
"""

import re
from datetime import timedelta

from django.contrib import admin
from django.contrib.admin import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, F, Func, Q, Value
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from booking.admin import exports
from booking.admin.forms import ReasonForm
from booking.admin.page_urls import APPOINTMENT_PAGES, page_urls
from booking.admin.pages import answers_html
from booking.admin.schedule_reads import local_midnight, week_start
from booking.admin.scoping import (
    PractitionerScopedAdmin,
    ReadOnlyInline,
    RecordOnlyAdmin,
    is_front_desk,
)
from booking.admin.status_actions import (
    BOTH,
    STATUS_ACTIONS,
    status_action,
    status_change_summary,
    valid_status_actions,
)
from booking.admin.undo import latest_change, report_with_undo
from booking.emails import cancellation_preview
from booking.errors import BookingError
from booking.models import AppointmentStatus, AppointmentStatusChange, Notification
from booking.services import appointment_change_status
from booking.services.courses_staff import course_repeat_refusal


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


class StatusChangeInline(ReadOnlyInline):
    model = AppointmentStatusChange
    fields = ["changed_at", "kind", "from_status", "to_status", "changed_by", "note"]
    readonly_fields = fields
    verbose_name_plural = _("status history")


class NotificationInline(ReadOnlyInline):
    model = Notification
    fields = ["kind", "status", "attempts", "created_at", "sent_at", "last_error"]
    readonly_fields = fields
    verbose_name_plural = _("e-mails to the patient")


class AppointmentRequestAdmin(PractitionerScopedAdmin):
    list_display = [
        "reference",
        "local_date",
        "local_time",
        "patient_name",
        "treatment",
        "practitioner",
        "status",
        "safety",
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
                    "course_link",
                    "practitioner",
                    "starts_at",
                    "ends_at",
                    "occupied_until",
                    "arrived_at",
                ]
            },
        ),
        (
            _("Patient"),
            {
                "fields": [
                    "patient_record",
                    "patient_name",
                    "email",
                    "phone",
                    "is_new_patient",
                    "reason",
                ]
            },
        ),
        (_("Answers to intake forms"), {"fields": ["intake_answers"]}),
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
        "course_link",
        "practitioner",
        "starts_at",
        "ends_at",
        "occupied_until",
        "arrived_at",
        "patient_record",
        "intake_answers",
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

    @admin.display(description=_("safety"))
    def safety(self, obj):
        flags = obj.safety_flags
        if not flags:
            return ""
        return format_html("<strong>{}</strong>: {}", _("Call first"), ", ".join(flags))

    @admin.display(description=_("patient record"))
    def patient_record(self, obj):
        if obj.patient_id is None:
            return _("None")
        url = reverse("admin:booking_patient_change", args=[obj.patient_id])
        return format_html('<a href="{}">{}</a>', url, _("Open the patient's record"))

    @admin.display(description=_("course"))
    def course_link(self, obj):
        if obj.course_id is None:
            return _("A single appointment")
        url = reverse("admin:booking_course_change", args=[obj.course_id])
        return format_html(
            '<a href="{}">{}</a>: {}',
            url,
            obj.course.reference,
            _("session %(number)d of %(count)d")
            % {"number": obj.course_session, "count": obj.course.sessions},
        )

    @admin.display(description=_("answers"))
    def intake_answers(self, obj):
        """The answers as asked, a printable copy, and the pre-visit forms still missing
        (each with the page to fill it in on the phone)."""
        missing = obj.intake_invitations.filter(answered_at__isnull=True).select_related("form")
        return format_html(
            "{}{}{}",
            answers_html(obj.answers),
            format_html(
                '<p><a href="{}">{}</a></p>',
                reverse("admin:booking_appointmentrequest_answers", args=[obj.pk]),
                _("Print or download the answers"),
            )
            if obj.answers
            else "",
            format_html_join(
                "",
                '<p><strong>{}: {}</strong> · <a href="{}">{}</a></p>',
                (
                    (
                        _("Form missing"),
                        invitation.form.title,
                        reverse(
                            "admin:booking_appointmentrequest_intake_fill",
                            args=[obj.pk, invitation.pk],
                        ),
                        _("Fill in on the phone"),
                    )
                    for invitation in missing
                ),
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
        return [*page_urls(self, APPOINTMENT_PAGES), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "is_front_desk": is_front_desk(request.user),
            "export_query": request.GET.urlencode(),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        shown = self.get_object(request, unquote(object_id))
        request._appointment_on_page = shown
        extra_context = {
            **(extra_context or {}),
            "is_front_desk": is_front_desk(request.user),
            "can_move": shown is not None
            and shown.is_active
            and self.has_change_permission(request, shown),
            "can_correct": shown is not None
            and shown.starts_at <= timezone.now()
            and self.has_change_permission(request, shown),
            "can_repeat": shown is not None
            and not course_repeat_refusal(appointment=shown)
            and self.has_change_permission(request, shown),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- Actions -------------------------------------------------------------

    def change_status(self, request, queryset, to_status, *, note=""):
        """Move each selected appointment through the service; one message says it all."""
        now = timezone.now()
        done, skipped, changes = [], [], []
        handled: set[int] = set()
        for appointment_id in queryset.values_list("pk", flat=True):
            if appointment_id in handled:
                continue  # answered with the rest of its course
            try:
                changed = appointment_change_status(
                    appointment_id=appointment_id,
                    to_status=to_status,
                    now=now,
                    by=request.user,
                    note=note,
                )
            except BookingError as error:
                skipped.append(str(error))
            else:
                # A course's request is answered whole: every session it changed is listed.
                for session in changed.changed_together:
                    handled.add(session.pk)
                    done.append(session.reference)
                    changes.append(latest_change(session))
                    self.log_change(request, session, [{"changed": {"fields": [str(_("status"))]}}])
        message, level = status_change_summary(to_status=to_status, done=done, skipped=skipped)
        report_with_undo(request, message, changes, level=level)

    # --- Only the changes that make sense are offered --------------------------

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # The rows on show decide which status actions the menu offers.
        request._appointments_on_show = changelist.result_list
        return changelist

    def get_action_choices(
        self, request, default_choices=None, action_location=ActionLocation.CHANGE_LIST
    ):
        choices = super().get_action_choices(
            request, default_choices=default_choices, action_location=action_location
        )
        rows = getattr(request, "_appointments_on_show", None)
        # A POST runs what was chosen: the service re-checks every row and the
        # message says what was skipped, so nothing is filtered then.
        if request.method != "GET" or rows is None:
            return choices
        valid = valid_status_actions(rows, now=timezone.now())
        return [
            (name, text) for name, text in choices if name not in STATUS_ACTIONS or name in valid
        ]

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        if not is_front_desk(request.user):
            actions.pop("export_csv", None)
        shown = getattr(request, "_appointment_on_page", None)
        if action_location == ActionLocation.CHANGE_FORM and request.method == "GET" and shown:
            valid = valid_status_actions([shown], now=timezone.now())
            actions = {n: a for n, a in actions.items() if n not in STATUS_ACTIONS or n in valid}
        return actions

    confirm = status_action(
        AppointmentStatus.CONFIRMED,
        description=_("Confirm this request"),
        description_plural=_("Confirm selected requests"),
    )

    @admin.action(
        description=_("Decline this request (with a reason)…"),
        description_plural=_("Decline selected requests (with a reason)…"),
        permissions=["change"],
        location=BOTH,
    )
    def decline(self, request, queryset):
        return self.ask_reason(request, queryset, action="decline")

    @admin.action(
        description=_("Cancel this appointment (by the clinic, with a reason)…"),
        description_plural=_("Cancel selected appointments (by the clinic, with a reason)…"),
        permissions=["change"],
        location=BOTH,
    )
    def cancel_by_clinic(self, request, queryset):
        return self.ask_reason(request, queryset, action="cancel_by_clinic")

    def ask_reason(self, request, queryset, *, action):
        """Decline or cancel only with a reason for the patient; a cancellation shows its e-mail.

        A cancellation takes two presses: the first shows the e-mail each
        patient will get, the second (with the reason unchanged) sends it.
        """
        to_status = STATUS_ACTIONS[action]
        form = ReasonForm(request.POST if "apply" in request.POST else None, to_status=to_status)
        appointments = list(queryset.select_related("treatment", "practitioner", "course"))
        preview = None
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            previewed = request.POST.get("previewed")
            if to_status != AppointmentStatus.CANCELLED_BY_CLINIC or (
                "confirm" in request.POST and previewed == reason
            ):
                self.change_status(request, queryset, to_status, note=reason)
                return None
            shown = next((a for a in appointments if a.email), None)
            if shown is not None:
                preview = cancellation_preview(appointment=shown, reason=reason)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Decline requests")
            if action == "decline"
            else _("Cancel appointments (by the clinic)"),
            "subtitle": None,
            "opts": self.opts,
            "appointments": appointments,
            "form": form,
            "action": action,
            "preview": preview,
            "previewed": form.cleaned_data["reason"] if form.is_valid() else "",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/booking/appointmentrequest/reason.html", context)

    mark_completed = status_action(
        AppointmentStatus.COMPLETED,
        description=_("Mark this appointment completed"),
        description_plural=_("Mark selected appointments completed"),
    )
    mark_no_show = status_action(
        AppointmentStatus.NO_SHOW,
        description=_("Mark this appointment as a no-show"),
        description_plural=_("Mark selected appointments as no-show"),
    )

    @admin.action(description=_("Export selected appointments as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        if not is_front_desk(request.user):
            raise PermissionDenied
        return exports.appointments_csv_response(queryset)


class AppointmentStatusChangeAdmin(RecordOnlyAdmin, PractitionerScopedAdmin):
    practitioner_path = "appointment__practitioner"
    list_display = [
        "changed_at",
        "appointment",
        "kind",
        "from_status",
        "to_status",
        "changed_by",
        "note",
    ]
    list_filter = ["to_status", "kind"]
    list_select_related = ["appointment__treatment", "changed_by"]
    search_fields = ["=appointment__reference"]
    date_hierarchy = "changed_at"
