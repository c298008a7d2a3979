"""W3C trace context carried in Kafka message headers, so producer and consumer share a trace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from opentelemetry import context, propagate

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
