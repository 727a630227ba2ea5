from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from clinic import brand

register = template.Library()


@register.simple_tag(takes_context=True)
def aria_current(context, url: str):
    """Mark the navigation link of the section the visitor is in."""
    request = context.get("request")
    if request is None:
        return ""
    path = request.path
    if path == url or (url != "/" and path.startswith(url)):
        return mark_safe('aria-current="page"')
    return ""


@register.simple_tag
def brand_colour(name: str) -> str:
    """One of the clinic's colours (clinic/brand.py), for e-mails' inline styles."""
    return brand.colour(name)


@register.filter
def html_datetime(value) -> str:
    """A <time datetime> value in whole seconds, as the HTML checker wants (no microseconds)."""
    if not value:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    return value.isoformat()
