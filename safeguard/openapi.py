"""What every service's OpenAPI says beyond what its routes declare, so that it tells the truth.

* The problems a dependency answers with (no staff token: 401; a role refused: 403; no stated
  purpose: 400) are documented on every route that depends on it: a dependency lists them with
  `may_answer`, and a route need only document its own (404, 409, ...).
* Every route that uses the database or Temporal documents the 503 of an outage (their
  dependencies say so); a route's own answer to a status is kept and the dependencies' added.
* A route that takes Temporal and changes something (a case update) documents the case's
  refusals: moved on or conflicting (409), not permitted (403), invalid (422), not applied (500).
* Every route documents the 422 problem (FastAPI's default 422 is neither its shape nor its
  media type): the control-character guard may answer it on any route. A route with a body
  documents the 400 of a body that is not JSON, and a route with a path parameter the 404 of
  an unknown one (the services answer a resource the caller may not see as absent).
* Every 4xx and 5xx is `application/problem+json` only (a route's model made FastAPI add
  `application/json`, which no error is sent as).
* Strings carry patterns without control characters (`safeguard.openapi_text`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from safeguard.errors import PROBLEM_JSON
from safeguard.openapi_text import with_text_rules

Response = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])

_PROBLEMS = "__documented_problems__"
_REQUIRES = "__required_headers__"
_ON_CHANGE = "__problems_on_change__"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
INVALID: Response = {
    "description": "A parameter or the body is invalid, or a string in the path, query, headers"
    " or body holds a control character, or an object in the body gives a name twice (each"
    " named in `errors`).",
    "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}},
}
MALFORMED: Response = {
    "description": "The body is not JSON (`Malformed JSON`).",
    "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}},
}
# Every resource named in a path is looked up, and one the caller may not see reads as absent.
NOT_FOUND: Response = {
    "description": "Nothing at this address that the caller may see (an unknown id or"
    " reference, or one outside the caller's scope).",
    "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}},
}


def may_answer(
    problems: Mapping[int, Response],
    *,
    requires: tuple[str, ...] = (),
    on_change: Mapping[int, Response] | None = None,
) -> Callable[[F], F]:
    """Mark a dependency with the problems it answers with (`documented_problem` entries), the
    headers it refuses to go without (its own problem, not FastAPI's 422, says so), and the
    problems of routes that take it directly and change something (not GET): a case update's
    refusals, for Temporal."""

    def mark(call: F) -> F:
        setattr(call, _PROBLEMS, dict(problems))
        setattr(call, _REQUIRES, frozenset(name.lower() for name in requires))
        setattr(call, _ON_CHANGE, dict(on_change or {}))
        return call

    return mark


def install(app: FastAPI) -> None:
    """Make `app.openapi()` document the above (computed once: FastAPI caches its schema)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_text_rules(documented(app, generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def documented(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (the app's own) with each operation's shared problem answers added."""
    paths = schema.get("paths", {})
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.include_in_schema:
            continue
        for method in context.methods or ():
            operation = paths.get(context.path_format, {}).get(method.lower())
            if operation is not None:
                changes = method.upper() not in _READS
                _document(operation, context.dependant, context.path_format or "", changes)
    _drop_unused_validation_schemas(schema)
    return schema


def _document(operation: dict[str, Any], dependant: Dependant, path: str, changes: bool) -> None:
    responses = operation.setdefault("responses", {})
    found: dict[int, list[Response]] = {}
    required: set[str] = set()
    for call in _calls(dependant):
        for status, response in getattr(call, _PROBLEMS, {}).items():
            found.setdefault(status, []).append(response)
        required |= getattr(call, _REQUIRES, frozenset())
    # A route that takes the dependency itself acts with it; one it reaches through another
    # dependency (a service object) may not, and is documented by its own route.
    for sub in dependant.dependencies if changes else ():
        for status, response in getattr(sub.call, _ON_CHANGE, {}).items():
            found.setdefault(status, []).append(response)
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter["name"].lower() in required:
            parameter["required"] = True
    if "requestBody" in operation:
        found.setdefault(400, []).append(MALFORMED)
    if "{" in path:
        found.setdefault(404, []).append(NOT_FOUND)
    # FastAPI's own 422 is neither the shape nor the media type the problem handlers answer,
    # and a route's own 422 (a business rule) does not stop a malformed request's.
    if _FASTAPI_422 in str(responses.get("422")):
        del responses["422"]
    found.setdefault(422, []).insert(0, INVALID)
    for status, answers in sorted(found.items()):
        # A route's own answer names what it knows of; its dependencies may answer the same
        # status for reasons of their own (a database down, a case moved on), so each is named.
        own = responses.get(str(status))
        responses[str(status)] = _merged([own, *answers] if own is not None else answers)
    _or_invalid(responses["422"])
    for status, response in responses.items():
        if status[0] in "45":
            _problem_only(response)
    operation["responses"] = dict(sorted(responses.items()))


def _problem_only(response: Response) -> None:
    """Every error is a problem document: FastAPI adds `application/json` beside a response's
    own media type when it has a model, and no error is ever sent as that."""
    content = response.get("content", {})
    response["content"] = {PROBLEM_JSON: content.get(PROBLEM_JSON) or {"schema": _PROBLEM_REF}}


def _or_invalid(response: Response) -> None:
    for media in response.get("content", {}).values():
        if media.get("schema") != _PROBLEM_REF:
            media["schema"] = {"anyOf": [media.get("schema", {}), _PROBLEM_REF]}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _merged(answers: list[Response]) -> Response:
    # Several dependencies may answer one status (a missing purpose, a malformed If-Match): the
    # description names each, and headers are merged. `model` is for routes, not the schema.
    merged: Response = {k: v for k, v in answers[0].items() if k != "model"}
    merged["description"] = " Or: ".join(dict.fromkeys(a["description"] for a in answers))
    headers = {name: h for a in answers for name, h in a.get("headers", {}).items()}
    if headers:
        merged["headers"] = headers
    return merged


def _drop_unused_validation_schemas(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    if _FASTAPI_422 not in str(schema.get("paths", {})):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
