"""The e-mail list: every e-mail the clinic sends, so staff notice the ones that failed.

Each e-mail's page names its recipient and shows the e-mail as the patient
reads it (its HTML, rendered from the record as it is now).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override

from booking.admin.scoping import PractitionerScopedAdmin, RecordOnlyAdmin, is_front_desk
from booking.emails import notification_message
from booking.models import Notification, NotificationStatus
from booking.notifications import notification_resend
from booking.services import ANONYMISED_EMAIL
from clinic.identity import get_clinic

# The e-mail's own HTML, with the inline styles mail clients need, and nothing
# else: no script, no form, no request anywhere, not even to this site.
EMAIL_PAGE_CSP = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'none'"],
    "sandbox": True,
}

# The e-mails "Send again" queues again; the others are left as they are.
RESENDABLE = {NotificationStatus.FAILED, NotificationStatus.GAVE_UP}


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
        "recipient",
        "the_email",
        "appointment",
        "waitlist_entry",
        "offer",
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

    def _message(self, obj):
        # One rendering per page: both displays below read it.
        if getattr(obj, "_rendered", None) is None:
            obj._rendered = notification_message(
                obj, clinic=get_clinic(), now=obj.sent_at or timezone.now()
            )
        return obj._rendered

    @admin.display(description=_("to"))
    def recipient(self, obj):
        # The address lives on what the e-mail is about (the appointment, the
        # waitlist entry, the offer's entry; the clinic's inbox for its own
        # e-mails): the e-mail's own "to" is only for "find my booking".
        addresses = [address for address in self._message(obj).to if address]
        if ANONYMISED_EMAIL in addresses:
            return _("the patient's address (removed when the record was anonymised)")
        return ", ".join(addresses) or _("nobody (no address)")

    @admin.display(description=_("the e-mail"))
    def the_email(self, obj):
        url = reverse("admin:booking_notification_email", args=[obj.pk])
        return format_html(
            '“{}” <a href="{}">{}</a>', self._message(obj).subject, url, _("Show it as sent")
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.email_view)
        return [
            path("<int:notification_id>/email/", view, name="booking_notification_email"),
            *super().get_urls(),
        ]

    def email_view(self, request, notification_id):
        """The e-mail's HTML on a page of its own, as the patient's mail client shows it."""
        return _email_page(request, notification_id, model_admin=self)

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    actions = ["send_again"]

    @admin.action(description=_("Send the selected failed e-mails again"), permissions=["view"])
    def send_again(self, request, queryset):
        if not is_front_desk(request.user):
            raise PermissionDenied
        resent, left_alone = _send_again(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail queued to be sent again.",
                "%(count)d e-mails queued to be sent again.",
                resent,
            )
            % {"count": resent},
            messages.SUCCESS if resent else messages.WARNING,
        )
        if left_alone:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected e-mail had not failed (it was sent, is queued or is "
                    "no longer needed) and was left alone.",
                    "%(count)d selected e-mails had not failed (they were sent, are queued or "
                    "are no longer needed) and were left alone.",
                    left_alone,
                )
                % {"count": left_alone},
                messages.INFO,
            )


def _send_again(queryset) -> tuple[int, int]:
    """Queue the failed e-mails of the selection again: (how many were, how many were not).

    Both numbers come from one read of the selection, made before anything
    changes: counting the selection again afterwards counts a different set
    when the list is filtered by status ("Failed", then "select all"), where
    the e-mails just queued have left it. The rows stay locked until the end,
    so an e-mail the worker is sending meanwhile is counted as it is handled.
    """
    with transaction.atomic():
        selected = dict(
            Notification.objects.select_for_update()
            .filter(pk__in=queryset.values("pk"))
            .order_by("pk")
            .values_list("pk", "status")
        )
        failed = [pk for pk, status in selected.items() if status in RESENDABLE]
        for notification_id in failed:
            notification_resend(notification_id=notification_id)
    return len(failed), len(selected) - len(failed)


@never_cache
@csp_override(EMAIL_PAGE_CSP)
def _email_page(request, notification_id, *, model_admin):
    notification = model_admin.get_queryset(request).filter(pk=notification_id).first()
    if notification is None or not model_admin.has_view_permission(request, notification):
        raise Http404(_("There is no such e-mail, or it is not yours to see."))
    message = notification_message(
        notification, clinic=get_clinic(), now=notification.sent_at or timezone.now()
    )
    html = next((body for body, kind in message.alternatives if kind == "text/html"), "")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
