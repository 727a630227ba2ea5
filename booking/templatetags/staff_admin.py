"""The admin index's overview: requests waiting, today's schedule, failed e-mails."""

from django import template
from django.urls import reverse

from booking.admin.scoping import scope_to_user
from booking.models import AppointmentRequest, AppointmentStatus, Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_overview(context) -> dict | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("booking.view_appointmentrequest"):
        return None
    waiting = scope_to_user(
        AppointmentRequest.objects.filter(status=AppointmentStatus.REQUESTED),
        user,
        practitioner_path="practitioner",
    ).count()
    changelist = reverse("admin:booking_appointmentrequest_changelist")
    overview = {
        "waiting": waiting,
        "waiting_url": f"{changelist}?status__exact={AppointmentStatus.REQUESTED}",
        "schedule_url": reverse("admin:booking_schedule_day"),
        "week_url": reverse("admin:booking_schedule_week"),
        "phone_in_url": reverse("admin:booking_appointmentrequest_phone_in"),
        "can_book": user.has_perm("booking.add_appointmentrequest"),
        "failed_emails": 0,
    }
    if user.has_perm("booking.view_notification"):
        overview["failed_emails"] = scope_to_user(
            Notification.objects.filter(status=Notification.Status.GAVE_UP),
            user,
            practitioner_path="appointment__practitioner",
        ).count()
        notifications = reverse("admin:booking_notification_changelist")
        overview["failed_emails_url"] = f"{notifications}?status__exact=gave_up"
    return overview
