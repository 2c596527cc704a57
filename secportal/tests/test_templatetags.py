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


# --- Jinja2 for the rows of the hottest lists (secportal/jinja.py, {% jinja %}) -------------------------


def _jinja(source: str, **values) -> str:
    from django.template import engines
    from django.test import RequestFactory

    return engines["jinja2"].from_string(source).render(values, request=RequestFactory().get("/"))


def test_a_jinja_fragment_escapes_what_it_is_given_and_has_the_portals_helpers():
    html = _jinja(
        "{{ text }}|{{ when|ukdate }}|{{ size|filesize }}|{{ url('panel:paper-download', 7) }}|"
        "{{ static('css/portal.css') }}|{{ csrf_input }}",
        text="<b>Tom & Jerry</b>",
        when=datetime.date(2026, 7, 1),
        size=2048,
    )
    text, when, size, url, static, csrf = html.split("|")
    assert text == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"
    assert (when, size, url) == ("1 July 2026", "2 KB", "/panel/papers/7/download/")
    assert static.endswith("css/portal.css")
    assert csrf.startswith('<input type="hidden" name="csrfmiddlewaretoken" value="')


def test_a_jinja_fragment_refuses_a_name_it_was_not_given():
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        _jinja("{{ itmes }}", items=[1])


def test_the_jinja_tag_renders_a_fragment_with_only_the_values_given(rf):
    from django.template import engines
    from jinja2 import UndefinedError

    page = engines["django"].from_string(
        '{% load portal %}{% jinja "panel/meeting_agenda.html" items=items unattached_papers=papers '
        "can_manage=False meeting=None %}"
    )
    html = page.render({"items": [], "papers": [], "secret": "not for the fragment"}, rf.get("/"))
    assert "The agenda has not been published yet." in html and "<section" in html
    # The page has unattached_papers; a fragment not given them does not see them.
    with pytest.raises(UndefinedError, match="unattached_papers"):
        engines["django"].from_string('{% load portal %}{% jinja "panel/meeting_agenda.html" items=items %}').render(
            {"items": [], "unattached_papers": []}, rf.get("/")
        )


def test_a_jinja_fragment_writes_a_timespan_and_a_date_leaf_as_the_django_tags_do():
    starts = datetime.datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    context = {"s": starts, "e": starts + datetime.timedelta(hours=26)}
    assert _jinja("{{ timespan(s, e) }}|{{ date_leaf(s) }}", **context) == AFTER.render(Context(context))
