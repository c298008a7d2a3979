"""Field types of the referral form: strict, bounded and safe to store."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict, EmailStr, Field, StringConstraints
from pydantic import BaseModel as _BaseModel

# Control characters have no place in a form; NUL and lone surrogates also cannot be stored
# in PostgreSQL, so they would otherwise surface as server errors.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
OLDEST_AGE_YEARS = 125

# What the OpenAPI says of text (the validators below are the rule): some character other than
# white space, and no control character, in one line or (free text) with line breaks and tabs.
_EDGE = r"[^\s\u0000-\u001F\u007F-\u009F]"
_LINE = r"[^\u0000-\u001F\u007F-\u009F]"
_FREE = r"[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]"
ONE_LINE_PATTERN = f"^{_LINE}*{_EDGE}{_LINE}*$"
FREE_TEXT_PATTERN = f"^{_FREE}*{_EDGE}{_FREE}*$"


def _storable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text contains invalid Unicode") from None
    return value


def _one_line(value: str) -> str:
    # Also runs before email validation, on whatever JSON value arrived.
    if isinstance(value, str) and _CONTROL.search(_storable(value)):
        raise ValueError("text must not contain control characters or line breaks")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL_EXCEPT_LINES.search(_storable(value)):
        raise ValueError("text must not contain control characters")
    return value


def _iso_date_text(value: Any) -> Any:
    # JSON has no date type: accept exactly YYYY-MM-DD, never numbers or timestamps.
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


def exact_int(value: Any) -> Any:
    """Refuse booleans, floats and strings where JSON should carry an integer."""
    if type(value) is not int:
        raise ValueError("must be an integer")
    return value


def _past_date(value: dt.date) -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    if value > today:
        raise ValueError("date of birth is in the future")
    if value.year < today.year - OLDEST_AGE_YEARS:
        raise ValueError(f"date of birth is more than {OLDEST_AGE_YEARS} years ago")
    return value


def _bounded(max_length: int) -> Any:
    return StringConstraints(
        strict=True, strip_whitespace=True, min_length=1, max_length=max_length
    )


_ONE_LINE = Field(json_schema_extra={"pattern": ONE_LINE_PATTERN})
Name = Annotated[str, _bounded(100), AfterValidator(_one_line), _ONE_LINE]
Text = Annotated[str, _bounded(200), AfterValidator(_one_line), _ONE_LINE]
LongText = Annotated[
    str,
    _bounded(10_000),
    AfterValidator(_multi_line),
    Field(json_schema_extra={"pattern": FREE_TEXT_PATTERN}),
]
Phone = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{6,20}$"),
]
Email = Annotated[EmailStr, BeforeValidator(_one_line), Field(max_length=254)]
Postcode = Annotated[
    str,
    StringConstraints(
        strict=True,
        strip_whitespace=True,
        to_upper=True,
        pattern=r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$",
    ),
]
AreaCode = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[A-Z0-9]{2,12}$"), Field(examples=["E08000025"])
]
BirthDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date_text),
    AfterValidator(_past_date),
    Field(
        description=f"YYYY-MM-DD, not in the future and not more than {OLDEST_AGE_YEARS} years"
        f" ago: its year is this year minus {OLDEST_AGE_YEARS} or later (422 otherwise)."
    ),
]


class Strict(_BaseModel):
    """Unknown fields are rejected, so a typo never silently drops data."""

    model_config = ConfigDict(extra="forbid")


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Whole years from `date_of_birth` to `day`."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)
