"""Form fields, their checks and their errors, shaped for GOV.UK Frontend's macros.

Each form is a list of `Field`s: the page template renders them with the matching macro, and
`validate` gives the GOV.UK error messages. A field's id is its name, so the error summary's
links land on it (a radio group's first option carries the group's name as its id).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from safeguard.control_chars import FREE_TEXT, LINE, first_forbidden

# "date" posts `<name>-day`, `-month`, `-year`; "checkboxes" one value per ticked box (joined
# with commas by `posted`); "repeated" is a group of `parts` asked `rows` times, each posted as
# `<name>-<row>-<part>` (rows left blank are dropped, so it needs no JavaScript).
Kind = Literal["radios", "textarea", "input", "select", "date", "checkboxes", "repeated"]


@dataclass(frozen=True)
class Field:
    """One question of a form."""

    name: str
    label: str
    kind: Kind
    error_if_empty: str
    hint: str | None = None
    options: Sequence[tuple[str, str]] = ()
    # Asked only when another answer has a value (e.g. the service a case is signposted to).
    only_when: tuple[str, str] | None = None
    max_length: int = 5000
    required: bool = True
    numeric: bool = False  # a whole number (an "input")
    parts: tuple[Field, ...] = ()  # the questions of each row of a "repeated" group
    rows: int = 3  # how many rows of a "repeated" group the page offers
    section: str | None = None  # the fieldset a long form shows the question in
    inline: bool = False  # radios side by side
    suffix: str | None = None  # the unit after an "input" (e.g. "days")

    def asked(self, values: Mapping[str, str]) -> bool:
        """Whether this question applies, given the other answers."""
        return self.only_when is None or values.get(self.only_when[0]) == self.only_when[1]

    def answer_text(self, value: str) -> str:
        """What the check-answers page shows for `value`."""
        if self.kind == "date" and value:
            day = dt.date.fromisoformat(value)
            return f"{day.day} {day:%B %Y}"
        if self.kind == "checkboxes":
            return ", ".join(dict(self.options).get(v, v) for v in value.split(",") if v)
        if self.kind == "repeated":
            return "; ".join(
                ", ".join(p.answer_text(row[p.name]) for p in self.parts if row.get(p.name))
                for row in json.loads(value or "[]")
            )
        return dict(self.options).get(value, value)

    def row_name(self, row: int, part: Field) -> str:
        """The posted name of one part of one row of a "repeated" group."""
        return f"{self.name}-{row}-{part.name}"

    def row(self, row: int) -> tuple[Field, ...]:
        """A row's parts, named as posted (so values, errors and ids line up)."""
        return tuple(replace(p, name=self.row_name(row, p)) for p in self.parts)


@dataclass
class FormErrors:
    """Messages by field name ("" for the form as a whole), in the order found."""

    messages: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.messages)

    def add(self, name: str, message: str) -> None:
        """Record the first message for a field."""
        self.messages.setdefault(name, message)

    def summary(self) -> list[dict[str, str]]:
        """The error summary's list, each linking to its field."""
        return [
            {"text": text, "href": f"#{name}"} if name else {"text": text}
            for name, text in self.messages.items()
        ]

    def field(self, name: str) -> dict[str, str] | bool:
        """The `errorMessage` parameter of a field's macro (false when it has none)."""
        text = self.messages.get(name)
        return {"text": text} if text else False


def _date(values: Mapping[str, str], name: str) -> tuple[str, bool]:
    """A date input's answer as ISO 8601 ("" when blank) and whether it is a real date."""
    day, month, year = (values.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year"))
    if not (day or month or year):
        return "", True
    try:
        return dt.date(int(year), int(month), int(day)).isoformat(), len(year) == 4
    except ValueError:
        return "", False


def _rows(question: Field, values: Mapping[str, str]) -> list[int]:
    """The rows of a "repeated" group with anything typed in them."""
    return [
        row
        for row in range(1, question.rows + 1)
        if any(
            values.get(name, "").strip()
            for p in question.row(row)
            for name in ((f"{p.name}-day", f"{p.name}-month", f"{p.name}-year") + (p.name,))
        )
    ]


def value_of(question: Field, values: Mapping[str, str]) -> str:
    """A question's answer as one string (a date as ISO 8601, a group as JSON)."""
    if question.kind == "date":
        return _date(values, question.name)[0]
    if question.kind == "repeated":
        parts = question.parts
        rows = [
            {
                p.name: value_of(named, values)
                for p, named in zip(parts, question.row(r), strict=True)
            }
            for r in _rows(question, values)
        ]
        return json.dumps(rows) if rows else ""
    return values.get(question.name, "").strip()


def validate(fields: Sequence[Field], values: Mapping[str, str]) -> FormErrors:
    """GOV.UK messages for missing, unknown or over-long answers."""
    errors = FormErrors()
    for question in fields:
        if not question.asked(values):
            continue
        value = value_of(question, values)
        if question.kind == "date" and not _date(values, question.name)[1]:
            errors.add(question.name, f"{question.label} must be a real date")
        elif question.kind == "repeated":
            for row in _rows(question, values):
                for problem, text in validate(question.row(row), values).messages.items():
                    errors.add(problem, f"{text} (row {row})")
            if not value and question.required:
                errors.add(question.row_name(1, question.parts[0]), question.error_if_empty)
        elif not value:
            if question.required:
                errors.add(question.name, question.error_if_empty)
        elif first_forbidden(value, FREE_TEXT if question.kind == "textarea" else LINE):
            # Pasted text can carry them; the APIs refuse them, so say so on the field.
            errors.add(
                question.name, f"{question.label} must not include hidden control characters"
            )
        elif question.kind == "checkboxes":
            if any(v not in dict(question.options) for v in value.split(",")):
                errors.add(question.name, question.error_if_empty)
        elif question.numeric and not (value.isascii() and value.isdigit()):
            errors.add(question.name, f"{question.label} must be a whole number")
        elif (question.options or question.kind == "radios") and value not in dict(
            question.options
        ):
            errors.add(question.name, question.error_if_empty)
        elif len(value) > question.max_length:
            errors.add(
                question.name,
                f"{question.label} must be {question.max_length} characters or fewer",
            )
    return errors


def answers(fields: Sequence[Field], values: Mapping[str, str]) -> dict[str, str]:
    """The trimmed answers to the questions that apply (others are dropped)."""
    return {q.name: value_of(q, values) for q in fields if q.asked(values)}


def posted(fields: Sequence[Field], form: Mapping[str, str], ticked: Any) -> dict[str, str]:
    """The form as a draft: a checkboxes question's ticked values (`ticked(name)` lists them,
    as Starlette's `FormData.getlist` does) joined with commas."""
    draft = dict(form)
    for q in fields:
        if q.kind == "checkboxes":
            draft[q.name] = ",".join(str(v) for v in ticked(q.name))
    return draft


def api_errors(
    fields: Sequence[Field], problem_errors: Mapping[str, str], detail: str | None
) -> FormErrors:
    """An API refusal as page errors: field messages on their fields, the rest on the form."""
    names = {q.name for q in fields}
    errors = FormErrors()
    for name, message in problem_errors.items():
        errors.add(name if name in names else "", f"{message[:1].upper()}{message[1:]}")
    if not errors and detail:
        errors.add("", detail)
    return errors
