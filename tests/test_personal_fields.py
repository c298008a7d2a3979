"""Every text field a person can write into is declared personal, or declared not to be.

Erasure drops the fields the models mark (`safeguard.personal`), so a new free-text field
without the mark would outlive its case. Text that cannot hold a space is an identifier or
a code and needs no mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, get_args, get_origin

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from safeguard.personal import NotPersonal, Personal, nested_models, personal_fields
from services.panel import models as panel_models
from workflows.referral.actions import PERSONAL_FIELDS, every_input
from workflows.referral.state import CaseState


def _bodies() -> list[type[BaseModel]]:
    """The panel's request bodies: what staff type in, beside the workflow's inputs."""
    return [
        model
        for model in vars(panel_models).values()
        if isinstance(model, type) and issubclass(model, panel_models.Body)
    ]


MODELS = sorted(
    {inner for model in [*every_input(), *_bodies()] for inner in nested_models(model)},
    key=lambda model: model.__name__,
)


def _texts(annotation: Any, marks: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """The marks of each plain `str` in `annotation` (through Annotated, unions and lists)."""
    if annotation is str:
        yield marks
    elif get_origin(annotation) is dict:
        # A mapping's keys are names (the factors'), its values what was written.
        yield from _texts(get_args(annotation)[1], marks)
    elif get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        yield from _texts(base, (*marks, *metadata))
    else:
        for arg in get_args(annotation):
            yield from _texts(arg, marks)


def _flat(marks: tuple[object, ...]) -> list[object]:
    return [m for mark in marks for m in (mark.metadata if isinstance(mark, FieldInfo) else [mark])]


def _is_code(marks: list[object]) -> bool:
    patterns = [getattr(mark, "pattern", None) for mark in marks]
    return any(p is not None and re.fullmatch(p, "two words") is None for p in patterns)


def _declared(marks: list[object]) -> bool:
    return any(isinstance(mark, Personal | NotPersonal) for mark in marks)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_free_text_field_says_whether_it_is_personal(model: type[BaseModel]) -> None:
    undeclared = [
        name
        for name, field in model.model_fields.items()
        for marks in _texts(field.annotation, tuple(field.metadata))
        if not _is_code(_flat(marks)) and not _declared(_flat(marks))
    ]
    assert not undeclared, f"{model.__name__}: mark {undeclared} PERSONAL or NotPersonal(why)"


def test_a_name_is_personal_everywhere_or_nowhere() -> None:
    # Erasers drop fields by name from stored JSON: a code sharing a personal field's name
    # would be erased with it, and text sharing a code's name would be kept.
    models = [*MODELS, *nested_models(CaseState)]
    for model in models:
        clash = (model.model_fields.keys() & PERSONAL_FIELDS) - personal_fields(model)
        assert not clash, f"{model.__name__}.{sorted(clash)} share a personal field's name"


def test_the_free_text_the_steps_take_is_declared() -> None:
    assert {"reasons", "notes", "reason", "database_checks", "description"} <= PERSONAL_FIELDS
