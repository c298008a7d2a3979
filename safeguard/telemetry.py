"""OpenTelemetry setup shared by every process: one tracer provider, its exporter, instrumentation.

Spans go over OTLP/HTTP when `telemetry.otlp_endpoint` is set; otherwise a development run
writes them as JSON lines under `data_dir/traces/` for `safeguard trace`, and tests export
nowhere unless they add their own processor.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes

from safeguard.settings import Settings
from safeguard.span_file import SpanFileExporter, span_file_for

SERVICE_NAMESPACE = "safeguard"


def _is_database(kind: SpanKind | None, attributes: Attributes) -> bool:
    database = attributes and ("db.system" in attributes or "db.system.name" in attributes)
    return kind is SpanKind.CLIENT and bool(database)


# Transaction control: the statements between say what was done; these say nothing more.
# (A ROLLBACK is kept: it says the work was undone.)
_SILENT_STATEMENTS = frozenset({"BEGIN", "COMMIT", "START", "SAVEPOINT", "RELEASE"})


class _Roots(Sampler):
    """Starts a trace for a ratio of root spans (by trace id), never for a database call.

    A query outside any request, message or workflow step is background polling (the relay's
    and dispatcher's idle polls); recording it would bury the case traces under a root span
    every second. (HTTP client spans are kept: they propagate their sampling decision, and
    dropping one would drop the callee's.)
    """

    def __init__(self, ratio: float) -> None:
        self._ratio = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        """Drop a database root; sample the others by ratio."""
        if _is_database(kind, attributes):
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        """The sampler's name, as SDK samplers report it."""
        return f"NoDatabaseRoots{{{self._ratio.get_description()}}}"


class _SaysSomething(Sampler):
    """Drops transaction-control statements' spans, then follows `inner`."""

    def __init__(self, inner: Sampler) -> None:
        self._inner = inner

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        """Drop `BEGIN;`, `COMMIT;` and the like; ask `inner` about the rest."""
        if _is_database(kind, attributes) and name.rstrip(";").upper() in _SILENT_STATEMENTS:
            return SamplingResult(Decision.DROP)
        return self._inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        """The sampler's name, as SDK samplers report it."""
        return f"SaysSomething{{{self._inner.get_description()}}}"


def sampler_for(settings: Settings) -> Sampler:
    """Parent-based: a trace is kept or dropped whole, as its root was
    (`telemetry.trace_sample_ratio` of the roots), without the spans that say nothing."""
    return _SaysSomething(ParentBased(root=_Roots(settings.telemetry.trace_sample_ratio)))


def _processors(service_name: str, settings: Settings) -> list[SpanProcessor]:
    endpoint = settings.telemetry.otlp_endpoint
    if endpoint:
        # Imported here: only deployments with a collector need the exporter's dependencies.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return [BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))]
    if settings.environment == "test":
        return []
    return [BatchSpanProcessor(SpanFileExporter(span_file_for(settings.data_dir, service_name)))]


def configure_tracing(service_name: str, settings: Settings | None = None) -> TracerProvider:
    """Install a tracer provider named for this process, once; return the active provider."""
    instrument_libraries()
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = tracer_provider(service_name, settings or Settings())
    trace.set_tracer_provider(provider)
    return provider


def tracer_provider(service_name: str, settings: Settings) -> TracerProvider:
    """A tracer provider named for `service_name`, sampling and exporting as `settings` say."""
    provider = TracerProvider(
        resource=Resource.create(
            {
                SERVICE_NAME: service_name,
                "service.namespace": SERVICE_NAMESPACE,
                "deployment.environment.name": settings.environment,
            }
        ),
        sampler=sampler_for(settings),
    )
    for processor in _processors(service_name, settings):
        provider.add_span_processor(processor)
    return provider


_instrumented = False


def instrument_libraries() -> None:
    """Client spans for every asyncpg query and httpx request (statements only, no values)."""
    global _instrumented
    if _instrumented:
        return
    _instrumented = True
    # asyncpg spans carry the SQL text with its $n placeholders; parameters stay out.
    AsyncPGInstrumentor(capture_parameters=False).instrument()  # type: ignore[no-untyped-call]
    HTTPXClientInstrumentor().instrument()
