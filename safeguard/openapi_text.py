"""The OpenAPI says what `safeguard.control_chars` refuses.

Every string parameter, and every string of a request body, that no format, enum or pattern
already bounds gets a pattern without control characters (tab, newline and carriage return
allowed in bodies); a body's objects get the same rule for their keys. The guard's 422
problems need the `Problem` schema, which is added if no route named it.
"""

from __future__ import annotations

from typing import Any

from safeguard.errors import Problem

LINE_PATTERN = r"^[^\u0000-\u001F\u007F-\u009F]*$"
FREE_TEXT_PATTERN = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
# Formats whose own syntax has no control characters in it.
_BOUNDED_FORMATS = frozenset(
    {
        "date",
        "date-time",
        "time",
        "duration",
        "uuid",
        "email",
        "uri",
        "ipv4",
        "ipv6",
        "binary",
        "byte",
    }
)
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})

Schema = dict[str, Any]
_JSON = "JsonWithoutControlCharacters"
_JSON_REF = f"#/components/schemas/{_JSON}"


def with_text_rules(schema: Schema) -> Schema:
    """`schema` with the patterns (and the `Problem` schema) added, in place, and returned."""
    components = schema.get("components", {}).get("schemas", {})
    body_walker = _Walker(components, FREE_TEXT_PATTERN)
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _not_null(parameter.get("schema", {}))
                _Walker({}, LINE_PATTERN).walk(parameter["schema"])
            for media in operation.get("requestBody", {}).get("content", {}).values():
                body_walker.walk(media.get("schema", {}))
    _add_problem_schemas(schema)
    return schema


class _Walker:
    """Adds `pattern` to the unbounded strings of a schema, following references once each."""

    def __init__(self, components: Schema, pattern: str) -> None:
        self.components = components
        self.pattern = pattern
        self.seen: set[str] = set()

    def walk(self, node: Any) -> None:
        if not isinstance(node, dict):
            return
        self._follow(node.get("$ref"))
        for child in _children(node):
            self.walk(child)
        if _is_object(node):
            node.setdefault("propertyNames", {"pattern": LINE_PATTERN})
            # A model that ignores unknown fields still has them read by the guard.
            node.setdefault("additionalProperties", {"$ref": _JSON_REF})
        if _is_unbounded_string(node):
            node["pattern"] = self.pattern

    def _follow(self, ref: object) -> None:
        if not isinstance(ref, str) or not ref.startswith("#/components/schemas/"):
            return
        name = ref.rsplit("/", 1)[-1]
        if name not in self.seen:
            self.seen.add(name)
            self.walk(self.components.get(name))


def _children(node: Schema) -> list[Any]:
    found: list[Any] = []
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        found.extend(node.get(key, []))
    for key in ("items", "additionalProperties", "not"):
        found.append(node.get(key))
    found.extend(node.get("properties", {}).values())
    return found


def _is_object(node: Schema) -> bool:
    # Names too: the guard reads every key, even one a model would ignore.
    return node.get("type") == "object"


def _is_unbounded_string(node: Schema) -> bool:
    return (
        node.get("type") == "string"
        and node.get("format") not in _BOUNDED_FORMATS
        and not {"pattern", "enum", "const"} & node.keys()
    )


def _not_null(schema: Schema) -> Schema:
    """A parameter's schema without FastAPI's `null` option: a header or query parameter is
    text or absent (`required: false`), and `null` would be sent as the word."""
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if len(options) != 1 or len(options) == len(schema.get("anyOf", [])):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    merged: Schema = {**options[0], **rest}
    return merged


def _add_problem_schemas(schema: Schema) -> None:
    # The guard's answers are problem documents, whether or not a route documented one.
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(_JSON, _json_value())
    generated = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in generated.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault("Problem", generated)


def _json_value() -> Schema:
    """Any JSON value the guard lets through: text without control characters, at any depth."""
    return {
        "anyOf": [
            {"type": "string", "pattern": FREE_TEXT_PATTERN},
            {"type": ["number", "boolean", "null"]},
            {"type": "array", "items": {"$ref": _JSON_REF}},
            {
                "type": "object",
                "propertyNames": {"pattern": LINE_PATTERN},
                "additionalProperties": {"$ref": _JSON_REF},
            },
        ]
    }
