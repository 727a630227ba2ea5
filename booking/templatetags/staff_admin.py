"""The admin index as the Today page for the front desk and practitioners."""

from django import template
from django.utils import timezone

from booking.admin.today import today_board
from booking.models import AppointmentRequest

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_today(context):
    """Today's board for the logged-in user, or None for staff who do not handle appointments."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return None
    # The page asks in three places (title, heading, content): build it once.
    if not hasattr(request, "_staff_today"):
        request._staff_today = today_board(user=user, now=timezone.now())
    return request._staff_today


@register.inclusion_tag("admin/booking/includes/today_book.html", takes_context=True)
def staff_book(context):
    """Today's appointment book on the admin's front page, above Today's lists."""
    from django.contrib import admin

    from booking.admin.schedule import day_book

    request = context["request"]
    model_admin = admin.site._registry[AppointmentRequest]
    return {**day_book(model_admin, request, timezone.localdate()), "request": request}
