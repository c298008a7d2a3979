"""OpenAPI material: the problem answers a route may give, as the route documents them."""

from __future__ import annotations

from typing import Any

from safeguard.case_updates import TRANSFER_REQUEST_REFUSALS
from safeguard.errors import documented_problem as problem

Responses = dict[int | str, dict[str, Any]]


_UNAUTHENTICATED = problem(
    "No staff bearer token, or one that is invalid or expired.",
    {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
)

TRIAGE_RESPONSES: Responses = {
    400: problem("No `X-Purpose`: every read of case data states why (it is logged)."),
    401: _UNAUTHENTICATED,
    403: problem("The role is neither `prevent_officer` nor `auditor`."),
    422: problem("A query parameter is invalid (each named in `errors`)."),
}

SET_AREA_RESPONSES: Responses = {
    401: _UNAUTHENTICATED,
    403: problem("The role is not `prevent_officer`, or the area is not one of the token's."),
    404: problem("No such case, or it is already another area's."),
    409: problem(
        "The case already has an area (move it with `/transfer`), or it has closed (`stage`)."
    ),
    422: problem("The body is invalid (each field named in `errors`)."),
}

TRANSFER_LIST_RESPONSES: Responses = TRIAGE_RESPONSES | {
    403: problem(
        "The role is neither `prevent_officer` nor `auditor` (`Forbidden`), or an `area` asked"
        " for is not one of the token's (`Area not permitted`)."
    ),
}

TRANSFER_REQUEST_RESPONSES: Responses = TRANSFER_REQUEST_REFUSALS | {
    404: problem("No such case in your areas."),
    409: problem(
        "`Transfer already requested` (one transfer waits at a time: withdraw it first),"
        " `The case has moved on` (closed; `stage` says where it is), or `Task held by another"
        " officer`."
    ),
}
