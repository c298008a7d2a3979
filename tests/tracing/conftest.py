"""Spans captured in memory for the whole session (the SDK's in-memory exporter)."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from safeguard.settings import Settings
from safeguard.telemetry import configure_tracing


@pytest.fixture(scope="session")
def session_spans() -> InMemorySpanExporter:
    """An exporter added once to the process's tracer provider."""
    provider = configure_tracing("safeguard-test", Settings(environment="test"))
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(session_spans: InMemorySpanExporter) -> InMemorySpanExporter:
    """The exporter, emptied for this test."""
    session_spans.clear()
    return session_spans
