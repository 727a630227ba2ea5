"""A cold time picker costs less: the choice in one query, the day's times written in Python,
and the page exactly as the template loop wrote it."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.http import QueryDict
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking import flow
from booking.picker import StripDay, time_picker_week
from booking.templatetags.booking_tags import time_link_start
from tests.booking.booking_world import at, make_world
from tests.booking.test_time_picker_queries import QUERY_BUDGET

pytestmark = pytest.mark.django_db

# The loop times.html used before booking.picker_html, word for word: the reference.
TEMPLATE_LOOP = """{% load booking_tags %}{% with day_label=week.selected.day|date:"l j F" %}
          {% for period in week.selected_day.periods %}
            <div class="booking-period">
              <h4 class="booking-period__name">{{ period.name }}</h4>
              <ul class="booking-period__times" role="list">
                {% for offered in period.times %}
                  <li>
                    <a class="booking-time{% if offered.late %} booking-time--late{% endif %}"
                       href="{{ link_start }}{{ offered.starts_at|start_param }}{% if choice.any_practitioner and not appointment %}&amp;with={{ offered.practitioner.slug }}{% endif %}"><span class="visually-hidden">{{ day_label }} at </span>{{ offered.time_label }}{% if offered.late %}<span class="booking-late-mark" aria-hidden="true">!</span><span class="visually-hidden">, cannot be changed online</span>{% endif %}{% if choice.any_practitioner %}<span class="visually-hidden">, with {{ offered.practitioner.name }}</span>{% endif %}</a>
                  </li>
                {% endfor %}
              </ul>
            </div>
          {% endfor %}
{% endwith %}"""  # noqa: E501

PYTHON_LIST = """{% load booking_tags %}{% with day_label=week.selected.day|date:"l j F" %}
          {% picker_periods week link_start=link_start day_label=day_label choice=choice appointment=appointment %}
{% endwith %}"""  # noqa: E501


# The strip's loop before booking.picker_html, word for word.
STRIP_LOOP = """{% load booking_tags %}
    {% for strip_day in week.strip %}
      <li>
        <a class="booking-strip__day booking-strip__day--{{ strip_day.state }}"
           href="{{ day_link }}{{ strip_day.day|date:'Y-m-d' }}#day-heading"
           data-day="{{ strip_day.day|date:'Y-m-d' }}"
           {% if strip_day.selected %}aria-current="date"{% endif %}>
          <span class="booking-strip__name" aria-hidden="true">{{ strip_day.day|date:"D" }}</span>
          <span class="booking-strip__date" aria-hidden="true">{{ strip_day.day|date:"j" }}</span>
          <span class="booking-strip__count" aria-hidden="true">
            {% if strip_day.state == "times" %}
              {{ strip_day.count }}
            {% elif strip_day.state == "full" %}
              Full
            {% elif strip_day.state == "phone" %}
              Call
            {% else %}
              –
            {% endif %}
          </span>
          <span class="visually-hidden">{{ strip_day.day|date:"l j F" }}: {{ strip_day.description }}</span>
        </a>
      </li>
    {% endfor %}
"""  # noqa: E501

PYTHON_STRIP = """{% load booking_tags %}
    {% picker_strip week day_link=day_link %}
"""


@pytest.fixture
def world(clinic, settings):
    settings.BOOKING_TIMES_CACHE_SECONDS = 0
    settings.BOOKING_FREE_TIMES_CACHE_SECONDS = 0
    world = make_world()
    # Morning and evening with Maya, the afternoon with Tom, whose name needs escaping.
    world.slot(world.maya, 8, 12)
    world.slot(world.maya, 17, 20)
    world.slot(world.tom, 11, 19)
    world.tom.name = "Tom <Lindqvist> & Co"
    world.tom.save()
    return world


def both(world, *, practitioner, appointment=None, hours_ahead: int = 72, now=None):
    """The day's list through the old template loop and through picker_periods."""
    choice = flow.choice_parse(
        QueryDict(f"treatment=physiotherapy-follow-up&practitioner={practitioner}"),
        need_start=False,
    )
    assert not choice.error
    now = now or at(world.day, 9) - timedelta(hours=hours_ahead)
    week = time_picker_week(
        treatment=choice.treatment,
        practitioner=None if choice.any_practitioner else choice.practitioner,
        week=world.day,
        day=world.day,
        now=now,
    )
    context = {
        "week": week,
        "choice": choice,
        "appointment": appointment,
        "link_start": time_link_start(choice=choice, appointment=appointment),
    }
    old = Template(TEMPLATE_LOOP).render(Context(context))
    new = Template(PYTHON_LIST).render(Context(context))
    return old, new


@pytest.mark.parametrize("practitioner", ["maya-okafor", "any"])
def test_the_days_times_are_written_exactly_as_the_template_loop_wrote_them(world, practitioner):
    # The morning is within the clinic's 24 hours: marked late.
    old, new = both(world, practitioner=practitioner, hours_ahead=20)

    assert new == old
    assert old.count('class="booking-time') > 15
    assert "booking-time--late" in old  # the late mark is compared too
    assert ("Morning" in old) and ("Evening" in old)
    if practitioner == "any":
        assert "&amp;with=tom-lindqvist" in old
        assert ", with Tom &lt;Lindqvist&gt; &amp; Co</span>" in old


def test_moving_a_booking_lists_the_same_times_without_the_practitioner_in_the_link(world):
    appointment = SimpleNamespace(reference="ABC123")
    old, new = both(world, practitioner="any", appointment=appointment)

    assert new == old
    assert "&amp;with=" not in new


def test_a_day_without_periods_writes_nothing(world):
    old, new = both(world, practitioner="maya-okafor")
    empty = SimpleNamespace(selected_day=None, selected=None)
    rendered = Template(PYTHON_LIST).render(
        Context({"week": empty, "choice": None, "link_start": "/x?start="})
    )

    assert new == old
    assert rendered.strip() == ""


def test_the_page_holds_the_times_list_the_template_loop_writes(client, world):
    params = {
        "treatment": "physiotherapy-follow-up",
        "practitioner": "any",
        "day": world.day.isoformat(),
    }
    page = client.get(reverse("booking:time"), params).content.decode()
    old, _new = both(world, practitioner="any", now=timezone.now())

    assert old.count('class="booking-time') > 15
    assert old.strip() in page


def test_the_choice_is_read_in_one_query(world):
    params = QueryDict("treatment=physiotherapy-follow-up&practitioner=maya-okafor")
    with CaptureQueriesContext(connection) as queries:
        choice = flow.choice_parse(params)

    assert len(queries) == 1
    assert (choice.treatment, choice.practitioner, choice.error) == (
        world.follow_up,
        world.maya,
        "",
    )


@pytest.mark.parametrize(
    ("query", "error", "any_practitioner"),
    [
        ("treatment=nope&practitioner=maya-okafor", "We could not find that treatment", False),
        (
            "treatment=nope&practitioner=any&with=maya-okafor",
            "could not find that treatment",
            False,
        ),
        (
            "treatment=physiotherapy-follow-up&practitioner=nobody",
            "could not find that practitioner",
            False,
        ),
        ("treatment=massage-therapy&practitioner=maya-okafor", "does not offer", False),
    ],
)
def test_a_choice_that_does_not_fit_still_says_why(world, query, error, any_practitioner):
    world.maya.treatments.remove(world.massage)

    choice = flow.choice_parse(QueryDict(query))

    assert error in choice.error
    assert choice.practitioner is None
    assert choice.any_practitioner is any_practitioner


def test_an_inactive_practitioner_or_treatment_is_not_read_by_the_one_query(world):
    world.maya.is_active = False
    world.maya.save()

    choice = flow.choice_parse(
        QueryDict("treatment=physiotherapy-follow-up&practitioner=maya-okafor")
    )

    assert "could not find that practitioner" in choice.error


@pytest.mark.parametrize("practitioner", ["maya-okafor", "any"])
def test_a_cold_picker_stays_within_the_query_budget(client, world, practitioner):
    params = {"treatment": "physiotherapy-follow-up", "practitioner": practitioner}
    client.get(reverse("booking:time"), params)  # the clinic's identity, cached like a live site
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("booking:time"), params)

    assert response.status_code == 200
    assert len(queries) <= QUERY_BUDGET
    # Two fewer than before for one practitioner: the choice is one query, not three.
    assert len(queries) == 5


def test_the_strip_is_written_exactly_as_the_template_loop_wrote_it():
    first = date(2026, 12, 28)  # across a month and a year
    states = [StripDay.TIMES, StripDay.FULL, StripDay.PHONE, StripDay.NONE, StripDay.TIMES]
    strip = [
        StripDay(
            day=first + timedelta(days=n), count=n * 11 if state == "times" else 0, state=state
        )
        for n, state in enumerate(states)
    ]
    strip[2].selected = True
    context = {
        "week": SimpleNamespace(strip=strip),
        "day_link": "/book/time/?treatment=a&practitioner=b&week=2026-12-28&day=",
    }

    old = Template(STRIP_LOOP).render(Context(context))
    new = Template(PYTHON_STRIP).render(Context(context))

    assert new == old
    assert old.count("<li>") == 5
    assert 'aria-current="date"' in old
    assert "&amp;day=2026-12-30#day-heading" in old
    assert "Saturday 2 January: no times" not in old  # five days: to Friday 1 January
    assert "Friday 1 January: 44 free times" in old
    assert "Call" in old and "Full" in old and "–" in old
