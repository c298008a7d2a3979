"""Working days in England and Wales: weekends and bank holidays do not count."""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays


@cache
def _bank_holidays(subdivision: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


def is_working_day(day: dt.date, *, subdivision: str) -> bool:
    """Monday to Friday and not a bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(subdivision, day.year)


def add_working_days(start: dt.datetime, days: int, *, subdivision: str) -> dt.datetime:
    """The same time of day, `days` working days after `start`."""
    moment = start
    counted = 0
    while counted < days:
        moment += dt.timedelta(days=1)
        if is_working_day(moment.date(), subdivision=subdivision):
            counted += 1
    return moment


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Calendar months later, on the same day or the month's last day if shorter."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def working_days_between(start: dt.date, end: dt.date, *, subdivision: str) -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not later): the
    count `add_working_days` steps through, so a task due `n` working days after `start` and
    done on that day took `n`."""
    days = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        days += is_working_day(day, subdivision=subdivision)
        day += dt.timedelta(days=1)
    return days
