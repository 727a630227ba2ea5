from datetime import date, datetime

from django import template
from django.urls import reverse

from booking import flow
from booking.formats import patient_status_label, price, status_sentence
from booking.models import Practitioner
from booking.picker_html import periods_html, strip_html

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


@register.simple_tag
def time_link_start(choice=None, appointment=None) -> str:
    """The address every offered time links to, up to its start: built once a page.

    The picker shows up to a hundred times; one `flow_url` each cost a quarter
    of the page's time. Each link adds its start (and, for "first available",
    who is free then).
    """
    if appointment:
        path = reverse("booking:reschedule", kwargs={"reference": appointment.reference})
        return f"{path}?start="
    params = choice.params_before_time()
    # A course goes on to the page of its sessions; one session to the details.
    step = "booking:course" if choice.course else "booking:details"
    return flow.url(step, **params) + "&start="


@register.simple_tag
def picker_periods(week, *, link_start, day_label, choice=None, appointment=None) -> str:
    """The chosen day's times by period, as links: written in Python (booking.picker_html)."""
    any_practitioner = bool(choice and choice.any_practitioner)
    return periods_html(
        week.selected_day.periods if week.selected_day else [],
        link_start=link_start,
        day_label=day_label,
        name_practitioner=any_practitioner,
        link_practitioner=any_practitioner and not appointment,
    )


@register.simple_tag
def picker_strip(week, *, day_link) -> str:
    """The week's strip of days, as links: written in Python (booking.picker_html)."""
    return strip_html(week.strip, day_link=day_link)


@register.simple_tag
def day_link_start(choice=None, appointment=None, week=None) -> str:
    """The address of a day in the picker's strip, up to the day itself: the week stays."""
    first = week.first_day.isoformat()
    if appointment:
        path = reverse("booking:reschedule", kwargs={"reference": appointment.reference})
        return f"{path}?week={first}&day="
    params = choice.params_before_time(week=first)
    return flow.url("booking:time", **params) + "&day="


@register.filter(name="status_sentence")
def status_sentence_filter(status: str) -> str:
    return status_sentence(status)


@register.filter
def patient_status(appointment) -> str:
    return patient_status_label(appointment.status, appointment.get_status_display())


@register.filter
def start_param(value: datetime) -> str:
    return flow.start_format(value)


@register.filter(name="price")
def price_filter(value) -> str:
    """A price written one way everywhere: £65, or £65.50 with pence."""
    return price(value)
