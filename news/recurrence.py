"""The series rule of the SEC Modifications Questions Hour: the first Monday of each month at a
fixed UK time; when that Monday is not a Working Day (a bank holiday) the occurrence moves to the
next Working Day. Pure functions of dates, so the rule is tested around real bank holidays."""

import datetime
from collections.abc import Iterator

from secportal.workingdays import LONDON, next_working_day

MONDAY = 0


def first_weekday(year: int, month: int, weekday: int = MONDAY) -> datetime.date:
    """The first `weekday` (0 = Monday) of the month."""
    first = datetime.date(year, month, 1)
    return first + datetime.timedelta(days=(weekday - first.weekday()) % 7)


def occurrence_day(year: int, month: int) -> datetime.date:
    """The day of the month's occurrence: its first Monday, or the next Working Day after it."""
    return next_working_day(first_weekday(year, month))


def months_from(start: datetime.date, count: int) -> Iterator[tuple[int, int]]:
    """`count` (year, month) pairs starting with the month of `start`."""
    year, month = start.year, start.month
    for _ in range(count):
        yield year, month
        month += 1
        if month == 13:
            year, month = year + 1, 1


def occurrence_times(
    year: int, month: int, *, local_start: datetime.time, duration: datetime.timedelta
) -> tuple[datetime.datetime, datetime.datetime]:
    """Start and end of the month's occurrence, aware in Europe/London (GMT or BST as the day has it)."""
    start = datetime.datetime.combine(occurrence_day(year, month), local_start, tzinfo=LONDON)
    return start, start + duration


def occurrence_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"
