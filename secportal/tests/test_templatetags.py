"""The fast date tags write exactly what Django's date filters wrote before them."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

UTC = ZoneInfo("UTC")
# What news/_event_when.html and the date leaf were, with Django's filters.
BEFORE = Template(
    '<time datetime="{{ s|date:\'c\' }}">{{ s|date:"l j F Y" }}, {{ s|time:"H:i" }}</time> to '
    '<time datetime="{{ e|date:\'c\' }}">{% if e|date:"Ymd" != s|date:"Ymd" %}{{ e|date:"l j F Y" }}, '
    '{% endif %}{{ e|time:"H:i T" }}</time>'
    '|<span class="date-leaf-month">{{ s|date:"M" }}</span><span class="date-leaf-day">{{ s|date:"j" }}</span>'
    '<span class="date-leaf-weekday">{{ s|date:"D" }}</span>'
)
AFTER = Template("{% load portal %}{% timespan s e %}|{% date_leaf s %}")


@pytest.mark.parametrize(
    ("starts", "hours"),
    [
        (datetime.datetime(2026, 12, 1, 9, 30, tzinfo=UTC), 1),  # GMT
        (datetime.datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=UTC), 2),  # BST, microseconds
        (datetime.datetime(2026, 7, 1, 22, 30, tzinfo=UTC), 1),  # crosses midnight in London only
        (datetime.datetime(2027, 3, 27, 23, 0, tzinfo=UTC), 3),  # over the change to summer time
        (datetime.datetime(2026, 10, 20, 8, 0, tzinfo=UTC), 50),  # a workshop over three days
        (datetime.datetime(2026, 1, 4, 0, 5, tzinfo=UTC), 1),  # single-digit day, early hour
    ],
)
def test_timespan_and_date_leaf_match_the_date_filters(starts, hours):
    context = {"s": starts, "e": starts + datetime.timedelta(hours=hours)}
    assert AFTER.render(Context(context)) == BEFORE.render(Context(context))
