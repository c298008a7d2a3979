"""Is a new event schema compatible with the committed one?

The rule is that new code must still read every event already on the topics (they are kept
for years), so a schema version may only widen what it accepts: adding an optional field,
adding an enum value, making a required field optional, or adding a new event type is fine;
removing a field, adding a required one, narrowing a type or removing an enum value is not,
and needs a new event type or `schema_version` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Schema = dict[str, Any]


def incompatibilities(old: dict[str, Schema], new: dict[str, Schema]) -> list[str]:
    """Every breaking difference between committed (`old`) and generated (`new`) files."""
    problems = []
    for name, old_schema in sorted(old.items()):
        if name not in new:
            problems.append(f"{name}: the schema is gone (events of it are still on the topic)")
            continue
        problems += [f"{name}: {p}" for p in breaking_changes(old_schema, new[name])]
    return problems


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Why values valid under `old` might be refused under `new` (empty if none)."""
    return list(_compare(old, old, new, new, "$"))


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        ref: str = node["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {ref}")
        node = root["$defs"][ref.removeprefix("#/$defs/")]
    return node


def _variants(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    options = node.get("anyOf") or node.get("oneOf")
    if options is None:
        return [node]
    return [variant for option in options for variant in _variants(option, root)]


def _compare(
    old: Schema, old_root: Schema, new: Schema, new_root: Schema, at: str
) -> Iterator[str]:
    new_variants = _variants(new, new_root)
    for variant in _variants(old, old_root):
        failures = [list(_compare_one(variant, old_root, n, new_root, at)) for n in new_variants]
        if all(failures):
            # No new variant takes what this old one took; the closest one explains why.
            yield from min(failures, key=len)


def _compare_one(
    old: Schema, old_root: Schema, new: Schema, new_root: Schema, at: str
) -> Iterator[str]:
    old_type, new_type = old.get("type"), new.get("type")
    if old_type != new_type and not (old_type == "integer" and new_type == "number"):
        yield f"{at}: type {old_type} became {new_type}"
        return
    yield from _compare_scalars(old, new, at)
    if old_type == "object":
        yield from _compare_objects(old, old_root, new, new_root, at)
    elif old_type == "array" and "items" in old:
        yield from _compare(old["items"], old_root, new.get("items", {}), new_root, f"{at}[]")


def _compare_scalars(old: Schema, new: Schema, at: str) -> Iterator[str]:
    if "enum" in new and "enum" not in old:
        yield f"{at}: now limited to the values {new['enum']}"
    elif "enum" in new:
        removed = [value for value in old["enum"] if value not in new["enum"]]
        if removed:
            yield f"{at}: enum values {removed} were removed"
    if "const" in new and old.get("const") != new["const"]:
        yield f"{at}: now fixed to {new['const']!r}"
    if "format" in new and old.get("format") != new["format"]:
        yield f"{at}: format {old.get('format')} became {new['format']}"
    for keyword in ("pattern", "maxLength", "minLength", "maximum", "minimum", "maxItems"):
        if keyword in new and old.get(keyword) != new[keyword]:
            yield f"{at}: {keyword} {old.get(keyword)} became {new[keyword]}"


def _compare_objects(
    old: Schema, old_root: Schema, new: Schema, new_root: Schema, at: str
) -> Iterator[str]:
    old_props: Schema = old.get("properties", {})
    new_props: Schema = new.get("properties", {})
    old_required = set(old.get("required", []))
    for field in sorted(set(new.get("required", [])) - old_required):
        state = "new" if field not in old_props else "formerly optional"
        yield f"{at}.{field}: a {state} field is required (older events lack it)"
    for field, old_schema in sorted(old_props.items()):
        if field not in new_props:
            yield f"{at}.{field}: the field was removed (older events carry it)"
        else:
            yield from _compare(old_schema, old_root, new_props[field], new_root, f"{at}.{field}")
