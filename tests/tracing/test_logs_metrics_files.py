"""Log lines carry trace ids; services serve Prometheus metrics; the span file feeds `trace`."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from typer.testing import CliRunner

from safeguard.cli.main import app
from safeguard.logs import install_trace_ids
from safeguard.settings import Settings
from safeguard.span_file import SpanFileExporter, span_file_for
from services.notifications.app import create_app

tracer = trace.get_tracer(__name__)


def test_log_records_carry_the_current_trace_and_span(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    install_trace_ids()
    with caplog.at_level(logging.INFO):
        with tracer.start_as_current_span("work") as span:
            logging.getLogger("safeguard.test").info("inside")
        logging.getLogger("safeguard.test").info("outside")
    inside, outside = caplog.records
    context = span.get_span_context()
    assert (inside.trace_id, inside.span_id) == (  # type: ignore[attr-defined]
        f"{context.trace_id:032x}",
        f"{context.span_id:016x}",
    )
    assert outside.trace_id == "-"  # type: ignore[attr-defined]


async def test_requests_are_counted_by_route_template(spans: InMemorySpanExporter) -> None:
    service = create_app(Settings(environment="test"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service), base_url="http://notifications"
    ) as http:
        await http.get("/v1/notifications/00000000-0000-0000-0000-000000000000/nothing")
        await http.get("/health/live")
        scraped = (await http.get("/metrics")).text
    assert (
        'safeguard_http_requests_total{method="GET",route="/health/live",service="notifications",'
        'status="200"}' in scraped
    )
    assert 'route="unmatched",service="notifications",status="404"' in scraped
    for family in (
        "safeguard_outbox_backlog",
        "safeguard_kafka_consumer_lag",
        "safeguard_notifications",
    ):
        assert f"# TYPE {family}" in scraped
    assert [s.name for s in spans.get_finished_spans() if s.kind.name == "SERVER"] == [
        "GET"  # unmatched routes are named by method only; probes and scrapes are not traced
    ]


def test_trace_prints_a_case_tree_from_the_span_file(
    spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    reference = "PRV-2031-000042"
    with tracer.start_as_current_span("POST /v1/referrals", kind=trace.SpanKind.SERVER):
        with tracer.start_as_current_span(
            "RunActivity:record_event", attributes={"referral.reference": reference}
        ):
            pass
    with tracer.start_as_current_span("another case", attributes={"referral.reference": "PRV-1"}):
        pass
    SpanFileExporter(span_file_for(tmp_path, "safeguard-test")).export(spans.get_finished_spans())
    printed = CliRunner().invoke(app, ["trace", reference, "--data-dir", str(tmp_path)])
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    assert lines[0].startswith("trace ") and lines[0].endswith("(2 spans)")
    # The service is whichever process configured tracing first in this test session.
    assert lines[1].split("ms")[-1].strip().startswith("POST /v1/referrals  [safeguard-")
    assert lines[2].split("ms")[-1].startswith("    RunActivity:record_event")
    assert "another case" not in printed.output
