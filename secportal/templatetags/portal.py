"""Presentation helpers: dates in UK format with the time zone named."""

from datetime import date, datetime

from django import template
from django.utils import timezone

register = template.Library()


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


@register.filter
def markdown(value: str):
    """Markdown rendered and sanitised (scripts, handlers, javascript: URLs and iframes removed)."""
    from secportal.richtext import render_markdown

    return render_markdown(value)


@register.filter
def filesize(value: int) -> str:
    if value is None:
        return ""
    if value < 1024:
        return f"{value} bytes"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value / 1024 / 1024:.1f} MB"
