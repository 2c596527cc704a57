"""Working Days: the one calculator behind every SEC deadline.

A Working Day is Monday to Friday, excluding the bank holidays of one UK region
(`settings.SECPORTAL_WORKING_DAYS_REGION`: "ENG" England and Wales by default, or "SCT", "NIR"),
with "today" and deadlines taken in Europe/London whatever the server's clock says.
Paper day, consultation close, critical-friend review and appeal windows all come from here.
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone

LONDON = ZoneInfo("Europe/London")
ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    """The bank holidays of `region` in `year`, substitute days included."""
    return frozenset(holidays.country_holidays("GB", subdiv=region, years=year))


def _region() -> str:
    return getattr(settings, "SECPORTAL_WORKING_DAYS_REGION", "ENG")


def _check_date(day: date) -> None:
    # A datetime is a date subclass but never equals a date, so it would slip past the holiday set.
    if isinstance(day, datetime):
        raise TypeError("Pass a date, not a datetime: convert with .astimezone(LONDON).date() first.")


def is_working_day(day: date) -> bool:
    """True if `day` is Monday to Friday and not a bank holiday in the configured region."""
    _check_date(day)
    return day.weekday() < 5 and day not in _bank_holidays(_region(), day.year)


def next_working_day(day: date) -> date:
    """`day` itself if it is a Working Day, otherwise the first Working Day after it."""
    while not is_working_day(day):
        day += ONE_DAY
    return day


def previous_working_day(day: date) -> date:
    """`day` itself if it is a Working Day, otherwise the last Working Day before it."""
    while not is_working_day(day):
        day -= ONE_DAY
    return day


def add_working_days(start: date, n: int) -> date:
    """The date `n` Working Days after `start` (before it when `n` is negative).

    `start` itself is never counted, so from a Saturday one Working Day on is the Monday.
    With `n == 0` the answer is `start` if it is a Working Day, otherwise the next one.
    """
    _check_date(start)
    if n == 0:
        return next_working_day(start)
    step = ONE_DAY if n > 0 else -ONE_DAY
    day, remaining = start, abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """How many Working Days fall after `start`, up to and including `end` (0 if `end <= start`).

    The inverse of `add_working_days`: `working_days_between(d, add_working_days(d, n)) == n` for n > 0.
    """
    _check_date(start)
    _check_date(end)
    return sum(1 for offset in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=offset)))


def working_day_deadline(start: date, n: int) -> datetime:
    """The last instant (23:59:59.999999 Europe/London, aware) of the `n`-th Working Day after `start`."""
    return datetime.combine(add_working_days(start, n), time.max, tzinfo=LONDON)


def local_today() -> date:
    """Today's date in Europe/London."""
    return timezone.now().astimezone(LONDON).date()
