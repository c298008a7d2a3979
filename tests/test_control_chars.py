"""What the control-character guard refuses and lets through, and what the OpenAPI says of it."""

from __future__ import annotations

import json
import re
from typing import Any

from safeguard.control_chars import body_errors, head_errors
from safeguard.openapi_text import FREE_TEXT_PATTERN, LINE_PATTERN, with_text_rules


def _fields(body: Any) -> list[str]:
    return [error.field for error in body_errors(json.dumps(body).encode())]


def test_free_text_keeps_tabs_and_line_breaks_and_nothing_else() -> None:
    assert _fields({"notes": "Line one\r\n\tindented", "name": "Zoë 🙂"}) == []
    for bad in ("\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\ud800"):
        assert _fields({"notes": f"a{bad}b"}) == ["body.notes"], repr(bad)


def test_raw_characters_and_keys_are_found_and_named_safely() -> None:
    raw = '{"a": ["ok", "del\x7f"], "b": {"c\\u0001d": "x"}, "e": "c1\u0085"}'.encode()
    assert sorted(error.field for error in body_errors(raw)) == [
        "body.a.1",
        "body.b.c\\u0001d",
        "body.e",
    ]


def test_json_in_another_unicode_encoding_is_read_whole() -> None:
    for encoding in ("utf-16", "utf-16-le", "utf-32", "utf-8-sig"):
        body = json.dumps({"name": "a\u0000b", "ok": "Zoë"}).encode(encoding)
        assert [e.field for e in body_errors(body)] == ["body.name"], encoding


def test_an_escaped_backslash_is_text_not_an_escape() -> None:
    assert body_errors(b'{"path": "C:\\\\u0000"}') == []  # the characters \, u, 0, 0, 0, 0


def test_bodies_that_are_not_json_or_very_deep_are_left_to_the_route() -> None:
    assert body_errors(b'{"a": "\\u0000"') == []  # malformed: the route answers 400
    deep = b"[" * 100_000 + b'"\\u0000"' + b"]" * 100_000
    assert body_errors(deep) == []  # the parser gives up: so will the route's
    nested: Any = "\x00"
    for _ in range(500):
        nested = [nested]
    assert _fields(nested) == ["body" + ".0" * 500]


def _scope(path: str = "/", query: bytes = b"", headers: Any = ()) -> dict[str, Any]:
    return {"type": "http", "path": path, "query_string": query, "headers": list(headers)}


def test_path_query_and_headers_admit_no_control_character() -> None:
    assert head_errors(_scope("/v1/cases/PRV-2026-000001", b"area=E0&x=%C3%A9")) == []
    assert head_errors(_scope(headers=[(b"x-purpose", "Zoë's review".encode())])) == []
    found = head_errors(
        _scope(
            "/v1/cases/\x00",
            b"area=a%09b&n%00ame=1",
            [(b"x-purpose", b"tab\there"), (b"authorization", b"Bearer x")],
        )
    )
    assert [e.field for e in found] == [
        "path",
        "query.area",
        "query.n\\u0000ame",
        "header.x-purpose",
    ]


def test_the_openapi_gives_each_unbounded_string_its_pattern() -> None:
    schema: dict[str, Any] = {
        "paths": {
            "/x/{id}": {
                "post": {
                    "parameters": [
                        {"in": "path", "name": "id", "schema": {"type": "string"}},
                        {
                            "in": "query",
                            "name": "at",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "in": "header",
                            "name": "k",
                            "schema": {"type": "string", "pattern": "^k$"},
                        },
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Body"}}
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Body": {
                    "type": "object",
                    "properties": {
                        "notes": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "kind": {"type": "string", "enum": ["a", "b"]},
                        "params": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                }
            }
        },
    }
    with_text_rules(schema)
    parameters = schema["paths"]["/x/{id}"]["post"]["parameters"]
    assert [p["schema"].get("pattern") for p in parameters] == [LINE_PATTERN, None, "^k$"]
    body = schema["components"]["schemas"]["Body"]["properties"]
    assert body["notes"]["anyOf"][0]["pattern"] == FREE_TEXT_PATTERN
    assert "pattern" not in body["kind"]
    assert body["params"]["propertyNames"] == {"pattern": LINE_PATTERN}
    assert body["params"]["additionalProperties"]["pattern"] == FREE_TEXT_PATTERN
    assert "Problem" in schema["components"]["schemas"]
    # The patterns say what the guard does: Python reads them as a browser would.
    assert re.fullmatch(FREE_TEXT_PATTERN, "a\tb\r\nc") and not re.fullmatch(
        FREE_TEXT_PATTERN, "\x85"
    )
    assert not re.fullmatch(LINE_PATTERN, "a\tb")
