"""RFC 9457 problem details for every error a service returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    """One invalid input field."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details document."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


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


def problem_response(
    problem: Problem, request: Request, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """Serialise a problem with its media type."""
    body = problem.model_copy(update={"instance": request.url.path}).model_dump(exclude_none=True)
    return JSONResponse(
        body | extra, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers
    )


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
    problem = Problem(status=exc.status_code, title=str(exc.detail))
    return problem_response(problem, request, headers=exc.headers)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ProblemError):
        raise exc
    return problem_response(exc.problem, request, headers=exc.headers, **exc.extra)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(Problem(status=500, title="Internal server error"), request)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error with problem details instead of FastAPI's default shapes."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(Exception, _on_unexpected)


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
