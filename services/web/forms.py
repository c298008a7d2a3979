"""Form fields, their checks and their errors, shaped for GOV.UK Frontend's macros.

Each form is a list of `Field`s: the page template renders them with the matching macro, and
`validate` gives the GOV.UK error messages. A field's id is its name, so the error summary's
links land on it (a radio group's first option carries the group's name as its id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["radios", "textarea", "input"]


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

    def asked(self, values: Mapping[str, str]) -> bool:
        """Whether this question applies, given the other answers."""
        return self.only_when is None or values.get(self.only_when[0]) == self.only_when[1]

    def answer_text(self, value: str) -> str:
        """What the check-answers page shows for `value`."""
        return dict(self.options).get(value, value)


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


def validate(fields: Sequence[Field], values: Mapping[str, str]) -> FormErrors:
    """GOV.UK messages for missing, unknown or over-long answers."""
    errors = FormErrors()
    for question in fields:
        if not question.asked(values):
            continue
        value = values.get(question.name, "").strip()
        if not value:
            errors.add(question.name, question.error_if_empty)
        elif question.options and value not in dict(question.options):
            errors.add(question.name, question.error_if_empty)
        elif len(value) > question.max_length:
            errors.add(
                question.name,
                f"{question.label} must be {question.max_length} characters or fewer",
            )
    return errors


def answers(fields: Sequence[Field], values: Mapping[str, str]) -> dict[str, str]:
    """The trimmed answers to the questions that apply (others are dropped)."""
    return {q.name: values.get(q.name, "").strip() for q in fields if q.asked(values)}


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
