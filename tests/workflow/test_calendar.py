"""Working days skip weekends and the bank holidays of England and Wales, one-off ones included.

Each case would give a different date if plain calendar days were counted, or if the holiday in
it were not known."""

from __future__ import annotations

import datetime as dt

import pytest

from safeguard.calendar import add_working_days, is_working_day, working_days_between

NINE_AM = dt.time(9, tzinfo=dt.UTC)


def _at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), NINE_AM)


@pytest.mark.parametrize(
    ("start", "days", "due", "why"),
    [
        ("2025-06-13", 1, "2025-06-16", "a Friday's next working day is the Monday"),
        ("2025-06-11", 5, "2025-06-18", "five working days span one weekend"),
        ("2025-04-16", 2, "2025-04-22", "Good Friday and Easter Monday 2025 do not count"),
        ("2024-12-23", 3, "2024-12-30", "Christmas Day and Boxing Day 2024 do not count"),
        ("2020-12-24", 1, "2020-12-29", "Boxing Day 2020 fell on a Saturday: the Monday after"),
        ("2022-06-01", 1, "2022-06-06", "the Queen's platinum jubilee, 2 and 3 June 2022"),
        ("2023-05-05", 1, "2023-05-09", "the King's coronation, Monday 8 May 2023"),
        ("2022-09-16", 1, "2022-09-20", "the Queen's state funeral, Monday 19 September 2022"),
    ],
)
def test_working_days_skip_weekends_and_bank_holidays(
    start: str, days: int, due: str, why: str
) -> None:
    assert add_working_days(_at(start), days, subdivision="ENG") == _at(due), why


def test_the_time_of_day_is_kept() -> None:
    start = dt.datetime(2025, 6, 13, 16, 45, tzinfo=dt.UTC)
    assert add_working_days(start, 1, subdivision="ENG") == start + dt.timedelta(days=3)


def test_wales_keeps_englands_holidays_and_not_scotlands() -> None:
    # St Andrew's Day (30 November 2026, a Monday) is a bank holiday in Scotland only.
    monday = dt.date(2026, 11, 30)
    assert is_working_day(monday, subdivision="ENG")
    assert is_working_day(monday, subdivision="WLS")
    assert not is_working_day(monday, subdivision="SCT")
    assert not is_working_day(dt.date(2023, 5, 8), subdivision="WLS")  # the coronation


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2025-06-13", "2025-06-16", 1),  # Friday to Monday
        ("2025-06-11", "2025-06-18", 5),
        ("2025-04-16", "2025-04-22", 2),  # over Easter
        ("2025-06-16", "2025-06-16", 0),
        ("2025-06-18", "2025-06-16", 0),  # before the start: none
    ],
)
def test_working_days_between_counts_what_add_working_days_steps_through(
    start: str, end: str, days: int
) -> None:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    assert working_days_between(first, last, subdivision="ENG") == days
    if days:
        assert add_working_days(_at(start), days, subdivision="ENG").date() == last
