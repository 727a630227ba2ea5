"""The time picker's strip of days and one day's times, written in Python (read by
booking_tags).

A picker day shows up to a hundred times; in the template each cost a dozen
variable look-ups, filters and `{% if %}`s, most of the page's rendering, and
the strip's seven days five `|date`s each. Here each link and label is built
once, with the same escaping, and the HTML comes out byte for byte as the
template loops wrote it (tests/booking/test_time_picker_cold.py renders both
and compares them).
"""

from django.utils import dateformat
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from booking.availability import clinic_zone
from booking.flow import start_format
from booking.picker import Period, StripDay

# The template's indentation, kept so the page reads the same in "view source".
_PERIOD = (
    '\n            <div class="booking-period">'
    '\n              <h4 class="booking-period__name">{name}</h4>'
    '\n              <ul class="booking-period__times" role="list">'
    "\n                {times}"
    "\n              </ul>"
    "\n            </div>"
    "\n          "
)
_TIME = (
    "\n                  <li>"
    '\n                    <a class="booking-time{late_class}"'
    '\n                       href="{href}"><span class="visually-hidden">{day_label} at </span>'
    "{label}{late}{who}</a>"
    "\n                  </li>"
    "\n                "
)
_LATE = (
    '<span class="booking-late-mark" aria-hidden="true">!</span>'
    '<span class="visually-hidden">, cannot be changed online</span>'
)


def periods_html(
    periods: list[Period],
    *,
    link_start: str,
    day_label: str,
    name_practitioner: bool,
    link_practitioner: bool,
) -> SafeString:
    """Each period's heading and its times as links to `link_start` + the time's start.

    `name_practitioner`: say who each time is with (first available);
    `link_practitioner`: and put them in the link (`&with=`, booking, not moving).
    """
    zone = clinic_zone()
    start = conditional_escape(link_start)
    day = conditional_escape(day_label)
    parts = []
    for period in periods:
        times = []
        for offered in period.times:
            href = start + start_format(offered.starts_at)
            who = ""
            if link_practitioner:
                href += "&amp;with=" + conditional_escape(offered.practitioner.slug)
            if name_practitioner:
                who = (
                    '<span class="visually-hidden">, with '
                    + conditional_escape(offered.practitioner.name)
                    + "</span>"
                )
            times.append(
                _TIME.format(
                    late_class=" booking-time--late" if offered.late else "",
                    href=href,
                    day_label=day,
                    label=offered.starts_at.astimezone(zone).strftime("%H:%M"),
                    late=_LATE if offered.late else "",
                    who=who,
                )
            )
        parts.append(_PERIOD.format(name=conditional_escape(period.name), times="".join(times)))
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


_STRIP_DAY = (
    "\n      <li>"
    '\n        <a class="booking-strip__day booking-strip__day--{state}"'
    '\n           href="{day_link}{iso}#day-heading"'
    '\n           data-day="{iso}"'
    "\n           {current}>"
    '\n          <span class="booking-strip__name" aria-hidden="true">{name}</span>'
    '\n          <span class="booking-strip__date" aria-hidden="true">{number}</span>'
    '\n          <span class="booking-strip__count" aria-hidden="true">'
    "\n            \n              {count}\n            \n          </span>"
    '\n          <span class="visually-hidden">{long_date}: {description}</span>'
    "\n        </a>"
    "\n      </li>"
    "\n    "
)
# What the strip shows for a day at a glance, by its state ("times" shows the count).
_STRIP_WORDS = {StripDay.FULL: "Full", StripDay.PHONE: "Call"}


def strip_html(strip: list[StripDay], *, day_link: str) -> SafeString:
    """The week's days as links to `day_link` + the day, each with its count or state.

    Dates go through Django's own `dateformat` (what `|date` calls), without the
    per-call look-up of localized formats that made the strip's 35 `|date`s costly.
    """
    link = conditional_escape(day_link)
    parts = []
    for strip_day in strip:
        day = strip_day.day
        if strip_day.state == StripDay.TIMES:
            count = str(strip_day.count)
        else:
            count = _STRIP_WORDS.get(strip_day.state, "–")
        parts.append(
            _STRIP_DAY.format(
                state=conditional_escape(strip_day.state),
                day_link=link,
                iso=day.isoformat(),
                current='aria-current="date"' if strip_day.selected else "",
                name=conditional_escape(dateformat.format(day, "D")),
                number=day.day,
                count=count,
                long_date=conditional_escape(dateformat.format(day, "l j F")),
                description=conditional_escape(strip_day.description),
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
