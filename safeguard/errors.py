"""RFC 9457 problem details for every error a service returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from safeguard import outages
from safeguard.outages import Dependency
from safeguard.problem_types import catalogue, type_uri

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# RFC 3986's pchar, less what a path segment must escape.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class FieldError(BaseModel):
    """One invalid input field."""

    field: str
    message: str


def _always_typed(schema: dict[str, Any]) -> None:
    schema["required"] = ["type", "title", "status"]
    schema["properties"]["type"].pop("default", None)


class Problem(BaseModel):
    """An RFC 9457 problem details document."""

    # Every answer carries its type; the model's default only means "from the title".
    model_config = ConfigDict(json_schema_extra=_always_typed)

    type: str = Field(default="", json_schema_extra={"format": "uri"}, description=catalogue())
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None

    @model_validator(mode="after")
    def _named(self) -> Problem:
        # A URI naming the problem, never `about:blank` (safeguard.problem_types).
        if not self.type:
            self.type = type_uri(self.title)
        return self


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.problem = Problem(status=status, title=title, detail=detail)
        self.headers = headers
        self.extra = extra


class ProblemException(StarletteHTTPException):
    """A problem raised where only HTTP exceptions get through to the problem handlers: from a
    middleware's `receive` while FastAPI reads the request body."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.status, problem.title)
        self.problem = problem


def problem_json(
    problem: Problem, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """Serialise a problem as it is, with its media type."""
    body = problem.model_dump(exclude_none=True) | extra
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def problem_response(
    problem: Problem, request: Request, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """Serialise a problem about `request` (its path is the instance) with its media type."""
    # Percent-encoded, as a URI reference is: the address asked for, never its raw characters.
    instance = quote(request.url.path, safe=_PATH_SAFE)
    located = problem.model_copy(update={"instance": instance})
    return problem_json(located, headers=headers, **extra)


def _field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    malformed = [e for e in exc.errors() if e.get("type") == "json_invalid"]
    if malformed:
        return problem_response(_malformed_json(malformed[0]), request)
    # Messages only: pydantic's `input` echo could carry personal data back into logs.
    errors = [FieldError(field=_field_path(e["loc"]), message=e["msg"]) for e in exc.errors()]
    problem = Problem(status=422, title="Invalid request", errors=errors)
    return problem_response(problem, request)


def _malformed_json(error: Any) -> Problem:
    position = error["loc"][-1] if error.get("loc") else "?"
    reason = (error.get("ctx") or {}).get("error", "not JSON")
    message = f"{reason} (at character {position})"
    return Problem(
        status=400,
        title="Malformed JSON",
        detail="The request body is not valid JSON.",
        errors=[FieldError(field="body", message=message)],
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    if isinstance(exc, ProblemException):
        return problem_response(exc.problem, request, headers=exc.headers)
    problem = Problem(status=exc.status_code, title=str(exc.detail))
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(sorted(_allowed(request)))}
    return problem_response(problem, request, headers=headers)


def _allowed(request: Request) -> set[str]:
    """Every method some route answers at this path: Starlette names only the first route's,
    and a path's methods are often spread over routes (a list's GET, its POST elsewhere)."""
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        regex = getattr(context, "path_regex", None)
        if regex is not None and regex.match(request.url.path) and context.methods:
            methods |= context.methods
    return methods


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ProblemError):
        raise exc
    return problem_response(exc.problem, request, headers=exc.headers, **exc.extra)


def unavailable(dependency: Dependency) -> Problem:
    """The problem a request gets while `dependency` is down: which one, in plain words."""
    detail = f"{dependency.value} cannot be reached just now. Try again in a few seconds."
    return Problem(status=503, title="Service unavailable", detail=detail)


def retry_after() -> dict[str, str]:
    """The `Retry-After` of every outage answer."""
    return {"Retry-After": str(outages.RETRY_AFTER_SECONDS)}


# Every class a dependency outage is raised as (`outages.outage_of` tells which are one).
OUTAGE_CLASSES: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    RPCError,
    RuntimeError,
)


async def _on_outage(request: Request, exc: Exception) -> JSONResponse:
    dependency = outages.outage_of(exc)
    if dependency is None:
        raise exc  # not an outage: the unexpected-error handler answers and logs it
    outages.current().began(dependency, exc)
    return problem_response(unavailable(dependency), request, headers=retry_after())


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(Problem(status=500, title="Internal server error"), request)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error with problem details instead of FastAPI's default shapes."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ProblemError, _on_problem)
    # Handled here rather than as unexpected errors, which Starlette re-raises after answering
    # (the server then logs a traceback per request).
    for outage_class in OUTAGE_CLASSES:
        app.add_exception_handler(outage_class, _on_outage)
    app.add_exception_handler(Exception, _on_unexpected)


RETRY_AFTER_HEADER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
}


def documented_problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """One documented problem answer of a route (RFC 9457, `application/problem+json`)."""
    response: dict[str, Any] = {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        response["headers"] = headers
    return response
