"""The sampler: a share of traces, each kept or dropped whole, less the spans that say nothing."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from safeguard.settings import Settings, TelemetrySettings
from safeguard.telemetry import tracer_provider

DATABASE = {"db.system": "postgresql", "db.statement": "..."}
TRACES = 2000


def _provider(ratio: float) -> tuple[TracerProvider, InMemorySpanExporter]:
    settings = Settings(environment="test", telemetry=TelemetrySettings(trace_sample_ratio=ratio))
    provider = tracer_provider("safeguard-test", settings)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _requests(provider: TracerProvider, count: int) -> None:
    """`count` traces of a server span with one query under it."""
    tracer = provider.get_tracer(__name__)
    for _ in range(count):
        with tracer.start_as_current_span("GET /v1/tasks", kind=SpanKind.SERVER):
            with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT, attributes=DATABASE):
                pass


@pytest.mark.parametrize(
    ("ratio", "low", "high"), [(0.0, 0, 0), (0.25, 400, 600), (1.0, 2000, 2000)]
)
def test_a_ratio_of_traces_is_kept_each_whole(ratio: float, low: int, high: int) -> None:
    provider, exporter = _provider(ratio)
    _requests(provider, TRACES)
    spans = exporter.get_finished_spans()
    traces = {span.context.trace_id for span in spans}
    assert low <= len(traces) <= high
    # Parent-based: a kept trace has its query too, a dropped one nothing at all.
    assert len(spans) == 2 * len(traces)


def test_every_trace_is_kept_unless_told() -> None:
    assert Settings(environment="test").telemetry.trace_sample_ratio == 1.0


def test_transaction_control_and_database_roots_are_not_recorded() -> None:
    provider, exporter = _provider(1.0)
    tracer = provider.get_tracer(__name__)
    with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT, attributes=DATABASE):
        pass  # an idle poll: a query that starts no trace
    with tracer.start_as_current_span("POST /v1/tasks/{task_id}/claim", kind=SpanKind.SERVER):
        for statement in ("BEGIN;", "SELECT", "UPDATE", "COMMIT;", "ROLLBACK;", "SAVEPOINT"):
            with tracer.start_as_current_span(statement, kind=SpanKind.CLIENT, attributes=DATABASE):
                pass
        # Only database spans are judged by their name.
        with tracer.start_as_current_span("BEGIN", kind=SpanKind.INTERNAL):
            pass
    names = [span.name for span in exporter.get_finished_spans()]
    assert names == ["SELECT", "UPDATE", "ROLLBACK;", "BEGIN", "POST /v1/tasks/{task_id}/claim"]
