"""Working Days around weekends and bank holidays.

The expected dates were worked out by hand from the calendar (1 Jan 2026 is a Thursday,
1 Jan 2027 a Friday, Easter Sunday 2027 is 28 March), not read back from the code.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from secportal import workingdays
from secportal.workingdays import (
    LONDON,
    add_working_days,
    is_working_day,
    local_today,
    next_working_day,
    previous_working_day,
    working_day_deadline,
    working_days_between,
)


@pytest.fixture(autouse=True)
def _england(settings):
    settings.SECPORTAL_WORKING_DAYS_REGION = "ENG"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 9), True),  # Friday
        (date(2026, 1, 10), False),  # Saturday
        (date(2026, 1, 11), False),  # Sunday
        (date(2026, 1, 1), False),  # New Year's Day
        (date(2026, 1, 2), True),  # a holiday in Scotland only
        (date(2026, 5, 4), False),  # early May bank holiday, first Monday in May
        (date(2026, 11, 30), True),  # St Andrew's Day is not a holiday in England
        (date(2026, 12, 24), True),  # Christmas Eve, Thursday
        (date(2026, 12, 25), False),  # Christmas Day, Friday
        (date(2026, 12, 28), False),  # Monday, substitute for Boxing Day on Saturday 26th
        (date(2026, 12, 29), True),
        (date(2027, 3, 26), False),  # Good Friday
        (date(2027, 3, 29), False),  # Easter Monday
        (date(2027, 5, 3), False),  # early May bank holiday 2027
    ],
)
def test_is_working_day(day, expected):
    assert is_working_day(day) is expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 1, 9), 1, date(2026, 1, 12)),  # Friday + 1 skips the weekend
        (date(2026, 1, 10), 1, date(2026, 1, 12)),  # from a Saturday, Monday is the first
        (date(2026, 1, 12), 5, date(2026, 1, 19)),  # one calendar week
        (date(2026, 12, 24), 1, date(2026, 12, 29)),  # over Christmas and the substitute day
        (date(2026, 12, 24), 3, date(2026, 12, 31)),
        (date(2026, 12, 24), 4, date(2027, 1, 4)),  # New Year's Day then a weekend
        (date(2027, 3, 25), 1, date(2027, 3, 30)),  # over Easter
        (date(2026, 5, 1), 1, date(2026, 5, 5)),  # over the early May bank holiday
        (date(2026, 12, 29), -1, date(2026, 12, 24)),
        (date(2027, 3, 30), -1, date(2027, 3, 25)),
        (date(2026, 1, 11), -1, date(2026, 1, 9)),  # Sunday back one is Friday
        (date(2026, 1, 19), -5, date(2026, 1, 12)),
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


def test_add_zero_working_days():
    assert add_working_days(date(2026, 1, 9), 0) == date(2026, 1, 9)  # a working day stays
    assert add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 29)  # otherwise the next one


def test_next_and_previous_working_day():
    assert next_working_day(date(2026, 12, 29)) == date(2026, 12, 29)
    assert next_working_day(date(2026, 12, 26)) == date(2026, 12, 29)
    assert previous_working_day(date(2026, 12, 29)) == date(2026, 12, 29)
    assert previous_working_day(date(2026, 12, 28)) == date(2026, 12, 24)
    assert previous_working_day(date(2027, 3, 29)) == date(2027, 3, 25)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 1, 9), date(2026, 1, 9), 0),
        (date(2026, 1, 12), date(2026, 1, 9), 0),  # end before start
        (date(2026, 1, 9), date(2026, 1, 11), 0),  # only the weekend
        (date(2026, 1, 9), date(2026, 1, 12), 1),
        (date(2026, 12, 24), date(2027, 1, 4), 4),  # 29, 30, 31 Dec and 4 Jan
        (date(2027, 3, 25), date(2027, 3, 31), 2),  # 30 and 31 Mar
    ],
)
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


def test_scotland_has_its_own_bank_holidays(settings):
    settings.SECPORTAL_WORKING_DAYS_REGION = "SCT"

    assert not is_working_day(date(2026, 1, 2))  # 2 January
    assert not is_working_day(date(2026, 11, 30))  # St Andrew's Day, Monday
    assert is_working_day(date(2027, 3, 29))  # no Easter Monday holiday in Scotland
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)
    assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 29)


def test_region_change_takes_effect_immediately(settings):
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 2)
    settings.SECPORTAL_WORKING_DAYS_REGION = "SCT"
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)


@pytest.mark.parametrize("n", [1, 2, 5, 15, 30])
def test_round_trip_over_two_years(n):
    for offset in range(730):
        day = date(2026, 1, 1) + timedelta(days=offset)
        later = add_working_days(day, n)
        assert is_working_day(later)
        assert working_days_between(day, later) == n
        assert add_working_days(later, -n) == previous_working_day(day)
        if is_working_day(day):
            assert working_days_between(add_working_days(day, -n), day) == n


def test_deadline_in_winter_is_end_of_day_gmt():
    deadline = working_day_deadline(date(2026, 12, 24), 1)

    assert deadline == datetime(2026, 12, 29, 23, 59, 59, 999999, tzinfo=LONDON)
    assert deadline.tzinfo.key == "Europe/London"
    assert deadline.utcoffset() == timedelta(0)
    assert deadline.astimezone(UTC) == datetime(2026, 12, 29, 23, 59, 59, 999999, tzinfo=UTC)


def test_deadline_in_summer_is_end_of_day_bst():
    deadline = working_day_deadline(date(2026, 5, 1), 1)

    assert (deadline.date(), deadline.hour, deadline.minute) == (date(2026, 5, 5), 23, 59)
    assert deadline.utcoffset() == timedelta(hours=1)
    assert deadline.astimezone(UTC) == datetime(2026, 5, 5, 22, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    ("utc_now", "expected"),
    [
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1)),  # already tomorrow in BST
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2026, 12, 31)),  # GMT equals UTC
    ],
)
def test_local_today_is_london_date(monkeypatch, utc_now, expected):
    monkeypatch.setattr(workingdays.timezone, "now", lambda: utc_now)
    assert local_today() == expected


def test_datetimes_are_refused():
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 12, 25, 12, tzinfo=LONDON))
