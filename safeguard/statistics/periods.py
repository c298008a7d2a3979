"""Reporting periods of the release: financial years (April to March) and their quarters."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^(?P<start>\d{4})-(?P<end>\d{2})(?:-Q(?P<quarter>[1-4]))?$")


class BadPeriodError(ValueError):
    """Not a period of the form 2024-25 or 2024-25-Q1."""


@dataclass(frozen=True)
class Period:
    """A financial year (`quarter` None) or one of its quarters; `start` <= day < `end`."""

    year: int  # the calendar year the financial year starts in
    quarter: int | None = None

    @property
    def start(self) -> dt.date:
        """The first day of the period."""
        return dt.date(self.year, 4, 1) if self.quarter is None else _quarter_start(self)

    @property
    def end(self) -> dt.date:
        """The day after the period."""
        if self.quarter is None:
            return dt.date(self.year + 1, 4, 1)
        return (
            _quarter_start(Period(self.year, self.quarter + 1))
            if self.quarter < 4
            else (dt.date(self.year + 1, 4, 1))
        )

    @property
    def code(self) -> str:
        """How the period is written in URLs: 2024-25 or 2024-25-Q4."""
        base = f"{self.year}-{(self.year + 1) % 100:02d}"
        return base if self.quarter is None else f"{base}-Q{self.quarter}"

    @property
    def label(self) -> str:
        """How the tables name the period: "April 2024 to March 2025"."""
        last = self.end - dt.timedelta(days=1)
        return f"{self.start:%B %Y} to {last:%B %Y}"


def _quarter_start(period: Period) -> dt.date:
    month = 4 + 3 * ((period.quarter or 1) - 1)
    return dt.date(period.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """The period a code names; `BadPeriodError` if it names none."""
    match = _PERIOD.match(text)
    if match is None:
        raise BadPeriodError(f"{text!r} is not a financial year (2024-25) or quarter (2024-25-Q1)")
    year = int(match["start"])
    if (year + 1) % 100 != int(match["end"]):
        raise BadPeriodError(f"{text!r}: a financial year runs from one year into the next")
    quarter = match["quarter"]
    return Period(year, int(quarter) if quarter else None)


def period_of(day: dt.date) -> Period:
    """The financial quarter a day falls in."""
    year = day.year if day.month >= 4 else day.year - 1
    return Period(year, (day.month - 4) % 12 // 3 + 1)


# Periods are of days in England and Wales: a referral at 00:30 on 1 April (BST) is in the
# new financial year, though it is still 31 March in UTC.
LOCAL = ZoneInfo("Europe/London")


def local_day(at: dt.datetime) -> dt.date:
    """The day in England and Wales at an instant."""
    return at.astimezone(LOCAL).date()


def bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The instants the period starts and ends at (local midnights)."""
    return (
        dt.datetime.combine(period.start, dt.time(), LOCAL),
        dt.datetime.combine(period.end, dt.time(), LOCAL),
    )
