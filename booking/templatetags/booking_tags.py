from datetime import date, datetime

from django import template

from booking import flow
from booking.formats import price
from booking.models import Practitioner

register = template.Library()


@register.simple_tag
def flow_url(name, choice, who=None, **extra):
    """A link to a step of the booking flow that keeps every earlier choice."""
    params = choice.params()
    for key, value in extra.items():
        if isinstance(value, datetime):
            value = flow.start_format(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Practitioner):
            value = value.slug
        params[key] = value
    if who is not None:
        if choice.any_practitioner:
            params["with"] = who.slug
        else:
            params["practitioner"] = who.slug
    return flow.url(name, **params)


@register.filter
def start_param(value: datetime) -> str:
    return flow.start_format(value)


@register.filter(name="price")
def price_filter(value) -> str:
    """A price written one way everywhere: £65, or £65.50 with pence."""
    return price(value)
