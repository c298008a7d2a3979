"""OpenAPI material: the problem answers the delivery log's routes give."""

from __future__ import annotations

from typing import Any

from safeguard.errors import documented_problem as problem

Responses = dict[int | str, dict[str, Any]]

_COMMON: Responses = {
    400: problem("No `X-Purpose`: every read of the delivery log states why (it is logged)."),
    401: problem(
        "No staff bearer token, or one that is invalid or expired.",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    ),
    403: problem("The role is not `operator`, `auditor`, `prevent_officer` or `channel_chair`."),
    422: problem("A parameter is invalid (each named in `errors`)."),
    503: problem(
        "The token's issuer cannot be asked for its keys right now.",
        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    ),
}

LIST_RESPONSES: Responses = _COMMON | {
    404: problem("No case with that `reference` in the caller's areas."),
}

DETAIL_RESPONSES: Responses = _COMMON | {
    404: problem("No such notification in the caller's areas."),
}
