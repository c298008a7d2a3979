"""W3C trace context carried in Kafka message headers, so producer and consumer share a trace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from opentelemetry import context, propagate
from opentelemetry.util.types import AttributeValue

if TYPE_CHECKING:
    from safeguard.events.envelope import EventEnvelope

KafkaHeaders = list[tuple[str, bytes]]


def current_trace_headers() -> dict[str, str]:
    """The active span's `traceparent` (and baggage), for storing beside an outbox row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def to_kafka_headers(headers: Mapping[str, str]) -> KafkaHeaders:
    """Outbox headers as Kafka record headers."""
    return [(name, value.encode()) for name, value in headers.items()]


def context_from_headers(headers: Iterable[tuple[str, bytes]] | None) -> context.Context:
    """The producer's trace context from a consumed record's headers."""
    carrier = {name: value.decode(errors="replace") for name, value in headers or ()}
    return propagate.extract(carrier)


def context_from_mapping(headers: Mapping[str, str] | None) -> context.Context:
    """The trace context stored beside an outbox row (or any string carrier)."""
    return propagate.extract(dict(headers or {}))


def event_attributes(envelope: EventEnvelope) -> dict[str, AttributeValue]:
    """Span attributes of an event: its ids, type and stage, copied by name so that no future
    field of an event's data can ever reach a span."""
    attributes: dict[str, AttributeValue] = {
        "event.id": str(envelope.id),
        "event.type": envelope.type,
        "referral.id": envelope.subject,
    }
    for name, key in (("case.stage", "stage"), ("referral.reference", "reference")):
        value = envelope.data.get(key)
        if isinstance(value, str):
            attributes[name] = value
    return attributes
