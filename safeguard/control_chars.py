"""Control characters are refused wherever strings enter a service: path, query, headers, JSON.

PostgreSQL cannot store NUL in text (asyncpg refuses it, and such requests failed with a 500),
nor an unpaired surrogate, and no other control character has a use in this system's data but
the tab, newline and carriage return of free text. One middleware checks each request before
any route sees it, so every service and route is covered without code of its own; the
services' OpenAPI says so (`safeguard.openapi_text`).

Path, query and headers admit no control character at all; strings in a JSON body (keys
excepted) may hold tab, newline and carriage return. The answer is a 422 problem naming each
place, as a validation error would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import islice
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard.errors import FieldError, Problem, ProblemException, problem_json
from safeguard.json_names import repeated_names

# C0, DEL, C1 and unpaired surrogates; free text keeps tab, newline and carriage return.
LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
FREE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_HEADER = re.compile(rb"[\x00-\x1f\x7f]")
# What a JSON body must contain to hold one: an escape of a control character or surrogate,
# a raw DEL or a raw C1 character (raw C0 characters are not JSON at all).
_SUSPECT = re.compile(rb"\\u(?:00[0189]|007[fF]|[dD][89a-fA-F])|\x7f|\xc2[\x80-\x9f]")
_MAX_ERRORS = 20
TITLE = "Invalid request"


def first_forbidden(text: str, rule: re.Pattern[str] = LINE) -> str | None:
    """Why `text` is refused under `rule` (None if it is not)."""
    found = rule.search(text)
    if found is None:
        return None
    code = ord(found.group())
    kind = "an unpaired surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
    return f"Contains U+{code:04X}, {kind}, which is not allowed here."


def shown(name: str) -> str:
    """A name with its forbidden characters escaped, safe to echo in an answer or a log."""
    return LINE.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def head_errors(scope: Scope) -> list[FieldError]:
    """Control characters in the path, the query or the headers."""
    errors = []
    if (why := first_forbidden(scope["path"])) is not None:
        errors.append(FieldError(field="path", message=why))
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if (why := first_forbidden(name) or first_forbidden(value)) is not None:
            errors.append(FieldError(field=f"query.{shown(name)}", message=why))
    for name, value in scope.get("headers", []):
        if (why := _header_forbidden(name + value)) is not None:
            errors.append(FieldError(field=f"header.{shown(name.decode('latin-1'))}", message=why))
    return errors[:_MAX_ERRORS]


def _header_forbidden(raw: bytes) -> str | None:
    # Bytes, not text: a header's UTF-8 (a name like Zoë) holds bytes that read as C1 in Latin-1.
    found = _HEADER.search(raw)
    if found is None:
        return None
    return f"Contains U+{found.group()[0]:04X}, a control character, which is not allowed here."


def body_errors(body: bytes) -> list[FieldError]:
    """Control characters in a JSON body's strings and keys (none if it is not JSON at all:
    the route's own parsing answers that)."""
    # The quick look reads UTF-8 bytes; JSON in UTF-16 or UTF-32 (which the parser detects and
    # accepts) is always read whole.
    if json.detect_encoding(body) == "utf-8" and _SUSPECT.search(body) is None:
        return []
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return []
    return list(islice(_walk(document), _MAX_ERRORS))


def _walk(document: Any) -> Iterator[FieldError]:
    # Iterative: a body nested as deep as the JSON parser allows must not exhaust the stack.
    pending: list[tuple[str, Any]] = [("body", document)]
    while pending:
        place, value = pending.pop()
        if isinstance(value, str) and (why := first_forbidden(value, FREE_TEXT)) is not None:
            yield FieldError(field=place, message=why)
        elif isinstance(value, list):
            pending.extend((f"{place}.{index}", item) for index, item in enumerate(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if (why := first_forbidden(key)) is not None:
                    yield FieldError(field=f"{place}.{shown(key)}", message=f"The name: {why}")
                pending.append((f"{place}.{shown(key)}", item))


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class ControlCharacterGuard:
    """Answer 422 for a control character in the path, query or headers before any route runs,
    and for one in a JSON body, or a name given twice in one of its objects, as the route
    reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = head_errors(scope)
        if errors:
            await _refuse(errors, scope, receive, send)
            return
        await self.app(scope, _checked(receive) if _is_json(scope) else receive, send)


def _checked(receive: Receive) -> Receive:
    """`receive`, checking the whole body once its last part has arrived. The body is read by
    the route (lazily, within FastAPI's error handling), never here, so nothing is read for a
    route that takes no body and a body limit further out still answers first."""
    parts: list[bytes] = []

    async def checked() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                body = b"".join(parts)
                errors = body_errors(body) or repeated_names(body)
                parts.clear()
                if errors:
                    raise ProblemException(Problem(status=422, title=TITLE, errors=errors))
        return message

    return checked


async def _refuse(errors: list[FieldError], scope: Scope, receive: Receive, send: Send) -> None:
    # The instance is the path as sent, percent-encoded: the decoded one holds the characters.
    instance = shown(scope.get("raw_path", b"").decode("latin-1")) or None
    problem = Problem(status=422, title=TITLE, errors=errors, instance=instance)
    await problem_json(problem)(scope, receive, send)
