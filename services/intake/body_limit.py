"""A cap on request bodies that answers with a problem document, read or not."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard.errors import Problem, problem_response

TITLE = "Request body too large"


class BodyLimit:
    """Refuse bodies over `max_bytes`: up front by Content-Length, else while streaming."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, exempt: re.Pattern[str] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths whose routes cap their own bodies as they stream them (file uploads).
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._exempt(scope):
            await self.app(scope, receive, send)
            return
        if self._declared_too_large(scope):
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # FastAPI re-raises HTTPExceptions from body reading: the problem handler answers.
                raise HTTPException(413, TITLE)
            return message

        await self.app(scope, counting_receive, send)

    def _exempt(self, scope: Scope) -> bool:
        return self.exempt is not None and self.exempt.fullmatch(scope.get("path", "")) is not None

    def _declared_too_large(self, scope: Scope) -> bool:
        declared = Request(scope).headers.get("content-length", "")
        return declared.isdigit() and int(declared) > self.max_bytes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"Bodies are limited to {self.max_bytes // 1024} KiB."
        problem = Problem(status=413, title=TITLE, detail=detail)
        await problem_response(problem, Request(scope))(scope, receive, send)
