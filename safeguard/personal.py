"""Which fields hold free text or personal data: one marker on the models, read by every eraser.

A field is declared personal where it is defined, `Annotated[str, ..., PERSONAL]` (the
workflow's `Notes` carries it), and whatever erases a case asks the models for the names so
marked rather than keeping a list of its own. Free-form text known to name no one says so with
`NotPersonal(why)`, so a test can insist that every such field is one or the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel


class Personal:
    """Marks a field whose value may name or describe a person: it is erased with the case."""

    def __repr__(self) -> str:
        return "PERSONAL"


PERSONAL = Personal()


class NotPersonal:
    """Marks free-form text that names no one, and says why (an agency's name, say)."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"NotPersonal({self.why!r})"


def marks(annotation: Any) -> Iterator[object]:
    """Every `Annotated` metadata object in `annotation`, through unions, lists and tuples."""
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        yield from metadata
        yield from marks(base)
        return
    for arg in get_args(annotation):
        yield from marks(arg)


def _field_marks(model: type[BaseModel], name: str) -> Iterator[object]:
    field = model.model_fields[name]
    yield from field.metadata
    yield from marks(field.annotation)


def is_personal(model: type[BaseModel], name: str) -> bool:
    """Whether the model's field `name` is declared personal."""
    return any(isinstance(mark, Personal) for mark in _field_marks(model, name))


def personal_fields(model: type[BaseModel]) -> frozenset[str]:
    """The model's own fields declared personal (not those of models nested in it)."""
    return frozenset(name for name in model.model_fields if is_personal(model, name))


def nested_models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """`model` and every model its fields hold, however deeply, each once."""
    seen: set[type[BaseModel]] = set()
    waiting = [model]
    while waiting:
        current = waiting.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current
        for field in current.model_fields.values():
            waiting += _models_in(field.annotation)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [found for arg in get_args(annotation) for found in _models_in(arg)]


def personal_names(*models: type[BaseModel]) -> frozenset[str]:
    """The names of the fields declared personal in `models` and the models nested in them."""
    return frozenset(
        name
        for model in models
        for inner in nested_models(model)
        for name in personal_fields(inner)
    )


def without_personal(value: Any, names: frozenset[str]) -> Any:
    """`value` (plain JSON values) without any key in `names`, however deeply nested."""
    if isinstance(value, dict):
        return {k: without_personal(v, names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [without_personal(item, names) for item in value]
    return value
