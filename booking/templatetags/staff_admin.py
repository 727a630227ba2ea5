"""The admin index as the Today page for the front desk and practitioners."""

from django import template
from django.utils import timezone

from booking.admin.today import today_board

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
