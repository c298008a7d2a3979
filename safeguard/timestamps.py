"""Dates and times as the APIs take them: ISO 8601 text, as the OpenAPI's `date-time` says.

Pydantic also reads a number as seconds since 1970 (`due_before=0.5`), which the documented
format does not allow: these types refuse it, so the API accepts what it documents and no more.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator

_NUMBER = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*")


def _iso_only(value: object) -> object:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("Give a date and time in ISO 8601, e.g. 2026-05-01T09:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _iso_date_only(value: object) -> object:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("Give a date in ISO 8601, e.g. 2026-05-01")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
