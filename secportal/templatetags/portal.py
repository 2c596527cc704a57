"""Presentation helpers: dates in UK format with the time zone named."""

from datetime import date, datetime

from django import template
from django.template import engines
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from secportal.registry import email_kinds

register = template.Library()


@register.filter
def email_kind(key: str) -> str:
    """A kind of email in words ("Password reset link"), never its identifier."""
    return email_kinds.label(key)


@register.filter
def ukdate(value: date | datetime | None) -> str:
    """`29 November 2026` (a datetime is first put into Europe/London time)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return f"{value.day} {value:%B %Y}"  # as dateformat's "j F Y", several times faster on long pages


@register.filter
def ukdatetime(value: datetime | None) -> str:
    """`29 November 2026, 14:05 GMT`: Europe/London time with the zone named."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local.day} {local:%B %Y, %H:%M} {local.tzname()}"


@register.simple_tag
def timespan(starts: datetime, ends: datetime) -> SafeString:
    """`<time>Sunday 29 November 2026, 10:00</time> to <time>11:00 GMT</time>` (the day again if
    it ends on another one), in Europe/London time: as Django's date filters would write it, in
    one pass instead of ten on every row of a list. Every piece is a datetime's own digits, names
    of days and months and zone abbreviation, so nothing needs escaping (format_html's escaping
    of each piece was a third of the events list's rows)."""
    start, end = timezone.localtime(starts), timezone.localtime(ends)
    end_day = f"{end:%A} {end.day} {end:%B %Y}, " if end.date() != start.date() else ""
    return mark_safe(  # no outside text: see above
        f'<time datetime="{start.isoformat()}">{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}</time>'
        f' to <time datetime="{end.isoformat()}">{end_day}{end:%H:%M} {end.tzname()}</time>'
    )


@register.simple_tag
def date_leaf(value: datetime) -> SafeString:
    """The leaf of a tear-off calendar: month, day and weekday (`Nov`, `29`, `Sun`), UK time."""
    local = timezone.localtime(value)
    return mark_safe(  # a datetime's own names and digits
        f'<span class="date-leaf-month">{local:%b}</span><span class="date-leaf-day">{local.day}</span>'
        f'<span class="date-leaf-weekday">{local:%a}</span>'
    )


@register.filter
def filesize(value: int) -> str:
    if value is None:
        return ""
    if value < 1024:
        return f"{value} byte{'s' if value != 1 else ''}"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value / 1024 / 1024:.1f} MB"


@register.simple_tag(takes_context=True)
def jinja(context, template_name: str, **values) -> SafeString:
    """`{% jinja "panel/meeting_agenda.html" items=items %}`: a fragment from jinja2/, rendered by
    Jinja2 with only the values given (and the request, for `csrf_input`). For the rows of the
    hottest lists, where Django's template engine cost most of the page (docs/decisions.md)."""
    fragment = engines["jinja2"].get_template(template_name)
    return mark_safe(fragment.render(values, request=context.get("request")))
