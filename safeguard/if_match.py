"""`If-Match` for changes to a versioned resource: the version read (its ETag) sent back, so a
change made meanwhile by someone else is never silently overwritten (RFC 9110, 13.1.1)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Header

from safeguard.errors import ProblemError, documented_problem
from safeguard.openapi import may_answer

_ETAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')
# The pattern is documentation: the dependency checks it, answering 400 rather than 422.
_PATTERN = '^ *(W/)?"?[0-9]{1,9}"? *$'
IfMatch = Annotated[
    str | None,
    Header(
        description='The ETag (the version) of what is changed, as last read, e.g. "3".',
        json_schema_extra={"pattern": _PATTERN},
    ),
]


def etag(version: int) -> str:
    """The ETag of a version, as sent in `ETag` and expected back in `If-Match`."""
    return f'"{version}"'


def stale(noun: str) -> ProblemError:
    """412: the resource has moved on from the version the caller sent."""
    return ProblemError(
        412, "Precondition failed", f"The {noun} changed since you read it; read it again."
    )


def required_version(noun: str) -> Callable[[str | None], int]:
    """A dependency giving the version in `If-Match` (400 malformed, 428 missing)."""

    @may_answer(
        {
            400: documented_problem(f'`If-Match` is not a {noun}\'s ETag (e.g. "3").'),
            412: documented_problem(f"`If-Match` names a version the {noun} has moved on from."),
            428: documented_problem(f"No `If-Match`: changing a {noun} needs its version."),
        },
        requires=("If-Match",),
    )
    def version(if_match: IfMatch = None) -> int:
        if if_match is None:
            raise ProblemError(
                428, "Precondition required", f"Send If-Match with the {noun}'s ETag."
            )
        found = _ETAG.match(if_match.strip())
        if found is None:
            raise ProblemError(400, "Malformed If-Match", f'Send the {noun}\'s ETag, e.g. "3".')
        return int(found.group(1))

    return version
