"""The event contracts: committed JSON Schemas, their compatibility, and what payloads may hold."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest

from safeguard.events.compat import breaking_changes, incompatibilities
from safeguard.events.contracts import EVENT_TYPES
from safeguard.events.schema_files import (
    ENVELOPE_FILE,
    committed_schemas,
    file_name,
    generated_schemas,
)
from tests.events.factories import envelope_for, sample_event

Schema = dict[str, Any]


def test_no_committed_contract_is_broken() -> None:
    problems = incompatibilities(committed_schemas(), generated_schemas())
    assert not problems, (
        "Incompatible event contract change: events already on the topics would no longer "
        "parse.\n  " + "\n  ".join(problems) + "\nAdd a new event type, or raise the model's "
        "schema_version (its old schema file stays), instead of changing this one."
    )


def test_committed_schema_files_match_the_models() -> None:
    committed = committed_schemas()
    stale = sorted(n for n, s in generated_schemas().items() if committed.get(n) != s)
    assert not stale, (
        f"Schema files out of date: {stale}. Run `safeguard events export-schemas` and commit "
        "safeguard/events/schemas/."
    )


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_a_sample_of_every_type_satisfies_its_committed_schema(event_type: str) -> None:
    model = EVENT_TYPES[event_type]
    schemas = committed_schemas()
    envelope = envelope_for(sample_event(event_type))
    wire = envelope.model_dump(mode="json")
    jsonschema.validate(wire, schemas[ENVELOPE_FILE])
    jsonschema.validate(wire["data"], schemas[file_name(event_type, model.schema_version)])
    assert envelope.partition_key == str(wire["data"]["referral_id"]).encode()
    assert wire["schemaversion"] == model.schema_version


def _base() -> Schema:
    return generated_schemas()[file_name("consent.recorded", 1)]


def _props(schema: Schema) -> Schema:
    properties: Schema = schema["properties"]
    return properties


def _require(schema: Schema, field: str, definition: Schema) -> None:
    _props(schema)[field] = definition
    schema["required"].append(field)


BREAKING: dict[str, Callable[[Schema], None]] = {
    "removed field": lambda s: _props(s).pop("area"),
    "new required field": lambda s: _require(s, "channel", {"type": "string"}),
    "optional made required": lambda s: s["required"].append("route"),
    "retyped field": lambda s: _props(s).update(area={"type": "integer"}),
    "enum value removed": lambda s: s["$defs"]["ConsentDecision"]["enum"].remove("withdrawn"),
    "nullable made required value": lambda s: _props(s).update(route={"$ref": "#/$defs/Role"}),
    "format tightened": lambda s: _props(s)["reference"].update(format="uuid"),
}

COMPATIBLE: dict[str, Callable[[Schema], None]] = {
    "optional field added": lambda s: _props(s).update(note_code={"type": "string"}),
    "enum value added": lambda s: s["$defs"]["ConsentDecision"]["enum"].append("deferred"),
    "required made optional": lambda s: s["required"].remove("area"),
    "docs reworded": lambda s: s.update(description="Reworded."),
}


@pytest.mark.parametrize("change", sorted(BREAKING))
def test_a_breaking_change_is_named(change: str) -> None:
    new = copy.deepcopy(_base())
    BREAKING[change](new)
    assert breaking_changes(_base(), new), change


@pytest.mark.parametrize("change", sorted(COMPATIBLE))
def test_a_compatible_change_passes(change: str) -> None:
    new = copy.deepcopy(_base())
    COMPATIBLE[change](new)
    assert breaking_changes(_base(), new) == []


def test_a_new_type_is_compatible_and_a_removed_one_is_not() -> None:
    committed = generated_schemas()
    extended = committed | {"panel.meeting_cancelled.v1.json": _base()}
    assert incompatibilities(committed, extended) == []
    assert incompatibilities(extended, committed) == [
        "panel.meeting_cancelled.v1.json: the schema is gone (events of it are still on the topic)"
    ]


# --- no personal data ---------------------------------------------------------------------

# Words of the national referral form's personal fields (and of contact details generally).
PERSONAL_WORDS = {
    "name", "names", "forename", "surname", "given", "family", "dob", "birth", "born", "age",
    "address", "street", "postcode", "town", "email", "phone", "mobile", "contact", "nhs",
    "gender", "ethnicity", "religion", "nationality", "language", "languages", "school",
    "description", "notes", "note", "comment", "comments", "text", "details", "household",
}  # fmt: skip
# Plain strings are allowed only for these codes and identifiers, each of which is set by the
# system or from a fixed list. Anything else must be an enum, a UUID or a timestamp.
CODE_STRINGS = {
    "reference": r"PRV-\d{4}-\d{6}",
    "area": "area code",
    "from_area": "area code",
    "to_area": "area code",
    "sector": "referrer sector code",
    "concern_type": "concern type code",
    "provider_id": "intervention provider id",
    "allowed_actions": "workflow action name (the workflow's rules)",
}


def _leaves(node: Schema, root: Schema, path: str) -> Iterator[tuple[str, Schema]]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].removeprefix("#/$defs/")]
    for option in node.get("anyOf", []):
        yield from _leaves(option, root, path)
    if node.get("type") == "object":
        for name, prop in node.get("properties", {}).items():
            yield from _leaves(prop, root, f"{path}.{name}")
    elif node.get("type") == "array":
        yield from _leaves(node["items"], root, f"{path}[]")
    elif "anyOf" not in node:
        yield path, node


def _field_problems(path: str, leaf: Schema) -> list[str]:
    field = re.sub(r"\[\]$", "", path.rsplit(".", 1)[-1])
    problems = [
        f"{path}: '{w}' names personal data" for w in field.split("_") if w in PERSONAL_WORDS
    ]
    kind, fmt = leaf.get("type"), leaf.get("format")
    if kind == "string" and "enum" not in leaf and fmt not in ("uuid", "date-time"):
        if field not in CODE_STRINGS:
            problems.append(f"{path}: a free string could hold a name or an address")
    if fmt in ("date", "time") or (fmt == "date-time" and not field.endswith(("_at", "_until"))):
        problems.append(f"{path}: a date that is not a case timestamp could be a date of birth")
    return problems


def test_no_event_field_can_hold_a_name_a_date_of_birth_or_an_address() -> None:
    problems = []
    for event_type, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema()
        for path, leaf in _leaves(schema, schema, event_type):
            problems += _field_problems(path, leaf)
    assert not problems, "\n".join(problems)


def test_the_field_check_catches_personal_fields() -> None:
    assert _field_problems("x.given_names", {"type": "string"})
    assert _field_problems("x.date_of_birth", {"type": "string", "format": "date"})
    assert _field_problems("x.home", {"type": "string"})
    assert _field_problems("x.born", {"type": "string", "format": "date-time"})
    assert _field_problems("x.due_at", {"type": "string", "format": "date-time"}) == []
