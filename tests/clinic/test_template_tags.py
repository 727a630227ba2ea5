from datetime import UTC, date, datetime

from clinic.templatetags.clinic_tags import html_datetime


def test_html_datetime_drops_microseconds_and_gives_the_clinic_offset(settings):
    settings.TIME_ZONE = "Europe/London"
    value = datetime(2026, 7, 1, 8, 30, 5, 897023, tzinfo=UTC)
    assert html_datetime(value) == "2026-07-01T09:30:05+01:00"


def test_html_datetime_writes_a_date_as_a_date():
    assert html_datetime(date(2026, 11, 29)) == "2026-11-29"
    assert html_datetime(None) == ""
