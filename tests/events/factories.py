"""Events for tests: a valid sample of every event type, built from its JSON Schema."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from safeguard.events.contracts import EVENT_TYPES, DomainEvent
from safeguard.events.envelope import EventEnvelope

Schema = dict[str, Any]

SOURCE = "/tests/events"


def sample_event(event_type: str, **overrides: Any) -> DomainEvent:
    """A valid event of `event_type`: every field filled in, `overrides` applied."""
    model = EVENT_TYPES[event_type]
    schema = model.model_json_schema()
    data = sample_value(schema, schema) | overrides
    return model.model_validate(data)


def envelope_for(event: DomainEvent, *, at: datetime | None = None) -> EventEnvelope:
    """The event on the wire, with a fresh id."""
    return event.envelope(event_id=uuid.uuid4(), source=SOURCE, time=at or datetime.now(UTC))


def submitted(referral_id: uuid.UUID, *, area: str = "north", reference: str = "") -> EventEnvelope:
    """A `referral.submitted` envelope for a case, its reference derived from the case's id."""
    event = sample_event(
        "referral.submitted",
        referral_id=str(referral_id),
        area=area,
        # Nine digits (the most a reference has): with six, two of the consumer-crash test's
        # 400 cases shared a reference in about one run in thirteen, and the notifications
        # service's unique reference refused the second case's event.
        reference=reference or f"PRV-2026-{referral_id.int % 1_000_000_000:09d}",
    )
    return envelope_for(event)


def sample_value(node: Schema, root: Schema) -> Any:
    """A value the schema accepts (the first enum value, the non-null option, one item)."""
    while "$ref" in node:
        node = root["$defs"][node["$ref"].removeprefix("#/$defs/")]
    if "anyOf" in node:
        options = [option for option in node["anyOf"] if option.get("type") != "null"]
        return sample_value(options[0], root)
    if "enum" in node:
        return node["enum"][0]
    return _by_type(node, root)


def _by_type(node: Schema, root: Schema) -> Any:
    kind = node.get("type")
    if kind == "object" and "properties" not in node:
        # A mapping (a case's due dates by label): one entry.
        return {"code-1": sample_value(node["additionalProperties"], root)}
    if kind == "object":
        return {name: sample_value(prop, root) for name, prop in node["properties"].items()}
    if kind == "array":
        return [sample_value(node["items"], root)]
    if kind == "integer":
        return 6
    if kind == "boolean":
        return True
    if node.get("format") == "uuid":
        return str(uuid.uuid4())
    if node.get("format") == "date-time":
        return (datetime.now(UTC) + timedelta(days=5)).isoformat()
    return "code-1"
