"""What every API client shares: the user's token, the purpose of a read, problems as errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from safeguard.control_chars import first_forbidden


@dataclass
class ApiProblem(Exception):
    """An RFC 9457 problem the API answered with (or 503 when it could not be reached)."""

    status: int
    title: str
    detail: str | None = None
    # Field name (dotted, as the API names it) -> message.
    errors: dict[str, str] = field(default_factory=dict)
    # Seconds to wait, as the API's `Retry-After` said (a 503's or a 429's).
    retry_after: str | None = field(default=None, kw_only=True)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail or ''}"


def problem_from(answer: httpx.Response) -> ApiProblem:
    """The problem document of a refusal, however much of one the API sent."""
    try:
        body: dict[str, Any] = answer.json()
    except ValueError:
        body = {}
    errors = {
        str(e.get("field", "body")).removeprefix("body."): str(e.get("message", ""))
        for e in body.get("errors") or []
        if isinstance(e, dict)
    }
    return ApiProblem(
        status=answer.status_code,
        title=str(body.get("title") or answer.reason_phrase),
        detail=body.get("detail"),
        errors=errors,
        retry_after=answer.headers.get("retry-after"),
    )


def path_segment(value: str, refusal: ApiProblem | None = None) -> str:
    """A path segment taken from a page's URL, escaped so it cannot reach another API route;
    an empty or dot segment is refused (`refusal`, else 404) before any call is made."""
    if value in ("", ".", ".."):
        raise refusal or ApiProblem(404, "Not found", "There is nothing at that address.")
    return quote(value, safe="")


class ApiClient:
    """Calls one service as the signed-in person."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, access_token: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._auth = {"authorization": f"Bearer {access_token}"}

    async def _send(
        self,
        method: str,
        path: str,
        *,
        purpose: str | None = None,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        extra = dict(self._auth) | (headers or {})
        if purpose is not None:
            extra["x-purpose"] = purpose
        if any(first_forbidden(value) for value in extra.values()):
            # A reason typed into a page travels as a header, where HTTP cannot carry them.
            raise ApiProblem(422, "Invalid request", "Remove the hidden control characters.")
        try:
            answer = await self._http.request(
                method, f"{self._base}{path}", params=params, json=json, headers=extra
            )
        except httpx.HTTPError as error:
            raise ApiProblem(503, "Service unavailable", type(error).__name__) from error
        if answer.status_code >= 400:
            raise problem_from(answer)
        return answer

    async def _get(self, path: str, **kwargs: Any) -> Any:
        return (await self._send("GET", path, **kwargs)).json()

    async def _post(self, path: str, **kwargs: Any) -> Any:
        return (await self._send("POST", path, **kwargs)).json()
