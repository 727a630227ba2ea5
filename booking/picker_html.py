"""The time picker's list of one day's times, written in Python (read by booking_tags).

A picker day shows up to a hundred times; in the template each cost a dozen
variable look-ups, filters and `{% if %}`s, most of the page's rendering. Here
each time's link and label are built once, with the same escaping, and the
list comes out byte for byte as the template loop wrote it
(tests/booking/test_time_picker_cold.py renders both and compares them).
"""

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from booking.availability import clinic_zone
from booking.flow import start_format
from booking.picker import Period

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
