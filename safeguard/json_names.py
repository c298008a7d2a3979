"""A JSON body may not give one name twice in an object.

JSON parsers keep the last of two equal names (Python's does) or the first, or refuse: a body
with `"grievance_injustice"` twice among an assessment's factors would be stored with one
rating while the sender's own tools, or a proxy's, may have read the other. Such a body is
refused with a 422 naming each repeated name, before any route reads it (the request guard in
`safeguard.control_chars` asks this module).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from itertools import islice
from typing import Any

from safeguard.errors import FieldError

_MAX_ERRORS = 20
REPEATED = "Given more than once: each name may appear only once in an object."


class _Repeated(dict[str, Any]):
    """An object parsed from pairs that named something twice (the last value kept)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        counts = Counter(name for name, _ in pairs)
        self.repeated = sorted(name for name, count in counts.items() if count > 1)


def repeated_names(body: bytes) -> list[FieldError]:
    """Each name given twice in one object of a JSON body (none if it is not JSON at all: the
    route's own parsing answers that)."""
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        value = dict(items)
        if len(value) == len(items):
            return value
        found = True
        return _Repeated(items)

    try:
        document = json.loads(body, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return []
    return list(islice(_walk(document), _MAX_ERRORS)) if found else []


def _walk(document: Any) -> Iterator[FieldError]:
    # Iterative, as in control_chars: the deepest body the parser accepts must not overflow.
    pending: list[tuple[str, Any]] = [("body", document)]
    while pending:
        place, value = pending.pop()
        if isinstance(value, _Repeated):
            yield from (
                FieldError(field=f"{place}.{name}", message=REPEATED) for name in value.repeated
            )
        if isinstance(value, list):
            pending.extend((f"{place}.{index}", item) for index, item in enumerate(value))
        elif isinstance(value, dict):
            pending.extend((f"{place}.{key}", item) for key, item in value.items())
