"""The e-mail list: every e-mail the clinic sends, so staff notice the ones that failed."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking.admin.scoping import PractitionerScopedAdmin, RecordOnlyAdmin, is_front_desk
from booking.models import NotificationStatus
from booking.notifications import notification_resend


class NotificationAdmin(RecordOnlyAdmin, PractitionerScopedAdmin):
    """Every e-mail about an appointment, so staff notice the ones that did not go."""

    practitioner_path = "appointment__practitioner"
    list_display = [
        "created_at",
        "kind",
        "about",
        "status",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind"]
    list_select_related = [
        "appointment__treatment",
        "waitlist_entry__treatment",
        "offer__practitioner",
    ]
    search_fields = [
        "=appointment__reference",
        "appointment__email",
        "waitlist_entry__email",
        "offer__entry__email",
        "email",
    ]
    date_hierarchy = "created_at"
    readonly_fields = [
        "appointment",
        "waitlist_entry",
        "offer",
        "email",
        "kind",
        "for_starts_at",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    fields = readonly_fields

    @admin.display(description=_("about"))
    def about(self, obj):
        return obj.subject_label

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
