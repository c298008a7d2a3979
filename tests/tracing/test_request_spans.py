"""The spans one request records: those docs/operators/observability.md lists, and no more."""

from __future__ import annotations

from pathlib import Path

import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client

from safeguard.auth.staff import development_signing_key
from safeguard.settings import Settings
from tests.assessment.conftest import Staff, serve_assessment, staff_settings
from tests.helpers import assert_eventually


def _under(root: ReadableSpan, spans: list[ReadableSpan]) -> list[ReadableSpan]:
    """`root` and every span below it."""
    ids = {root.context.span_id}
    while below := {
        s.context.span_id
        for s in spans
        if s.parent is not None and s.parent.span_id in ids and s.context.span_id not in ids
    }:
        ids |= below
    return [s for s in spans if s.context.span_id in ids]


async def _request_spans(
    spans: InMemorySpanExporter, http: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> list[tuple[str, str]]:
    spans.clear()
    answer = await http.get(path, headers=headers)
    assert answer.status_code == 200, answer.text

    async def server() -> list[ReadableSpan]:
        return [s for s in spans.get_finished_spans() if s.kind.name == "SERVER"]

    [root] = await assert_eventually(server)
    finished = list(spans.get_finished_spans())
    return sorted((s.name, s.kind.name) for s in _under(root, finished))


async def test_an_inbox_page_is_one_server_span_and_one_query(
    spans: InMemorySpanExporter, settings: Settings, temporal_client: Client, tmp_path: Path
) -> None:
    staff = Staff(development_signing_key(tmp_path))
    configured = staff_settings(settings, staff.key, "http://127.0.0.1:9")
    async with (
        serve_assessment(configured, temporal_client, consume=False) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        # The first request opens the pool's connection; every later one is like this.
        await http.get("/v1/tasks", headers=staff.officer())
        for headers in (staff.officer(), staff.officer("officer-18")):
            assert await _request_spans(spans, http, "/v1/tasks", headers) == [
                ("GET /v1/tasks", "SERVER"),
                ("WITH", "CLIENT"),
            ]
