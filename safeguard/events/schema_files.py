"""JSON Schema files generated from the event models and kept in `safeguard/events/schemas/`.

Each event type gets `<type>.v<schema_version>.json`; the envelope gets `envelope.v1.json`.
`safeguard events export-schemas` rewrites them; the contract test compares the committed
files with the models, so an incompatible change cannot land unnoticed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safeguard.events.contracts import EVENT_TYPES
from safeguard.events.envelope import EventEnvelope

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
ENVELOPE_FILE = "envelope.v1.json"

Schema = dict[str, Any]


def file_name(event_type: str, version: int) -> str:
    """The schema file of one version of an event type."""
    return f"{event_type}.v{version}.json"


def generated_schemas() -> dict[str, Schema]:
    """Every schema document the current models produce, by file name."""
    documents: dict[str, Schema] = {ENVELOPE_FILE: _annotated(EventEnvelope.model_json_schema())}
    for event_type, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema()
        schema["x-event-type"] = event_type
        schema["x-schema-version"] = model.schema_version
        documents[file_name(event_type, model.schema_version)] = _annotated(schema)
    return documents


def _annotated(schema: Schema) -> Schema:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render(schema: Schema) -> str:
    """The stable text of a schema file (sorted keys, so diffs show only real changes)."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def committed_schemas(directory: Path = SCHEMA_DIR) -> dict[str, Schema]:
    """The schema files in the repository, by file name."""
    return {path.name: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


def write_schemas(directory: Path = SCHEMA_DIR, *, prune: bool = False) -> list[str]:
    """Write the generated schemas; return the files changed.

    Files of versions no model produces are kept (old events still have that shape) unless
    `prune` is set.
    """
    directory.mkdir(parents=True, exist_ok=True)
    generated = generated_schemas()
    changed = []
    if prune:
        for path in directory.glob("*.json"):
            if path.name not in generated:
                path.unlink()
                changed.append(path.name)
    for name, schema in generated.items():
        path = directory / name
        text = render(schema)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(name)
    return changed
