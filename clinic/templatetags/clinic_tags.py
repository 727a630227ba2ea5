import json
from datetime import datetime

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from clinic import brand

register = template.Library()

# The same escapes as Django's json_script: "<", ">" and "&" can never close
# the script element or open a comment, whatever the data says.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def jsonld(data):
    """A ``<script type="application/ld+json">`` block, escaped like |json_script.

    It carries no CSP nonce on purpose: the browser never executes a data
    block, and a nonce inside a cached page would be served to many visitors.
    """
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


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
