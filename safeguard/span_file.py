"""Spans as JSON lines in the data directory: the local run's trace store for `safeguard trace`.

One file per process, so processes never interleave partial lines.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.resources import SERVICE_NAME
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

TRACES_DIR = "traces"


def span_file_for(data_dir: Path, service_name: str) -> Path:
    """Where a process named `service_name` writes its spans."""
    return data_dir / TRACES_DIR / f"{service_name}.jsonl"


def span_record(span: ReadableSpan) -> dict[str, Any]:
    """A span as a plain dictionary (ids in hex, times in epoch nanoseconds)."""
    context = span.get_span_context()
    assert context is not None  # noqa: S101 - recorded spans always have one
    return {
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "service": span.resource.attributes.get(SERVICE_NAME, "?"),
        "start": span.start_time,
        "end": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "links": [
            {"trace_id": f"{link.context.trace_id:032x}", "span_id": f"{link.context.span_id:016x}"}
            for link in span.links
        ],
    }


class SpanFileExporter(SpanExporter):
    """Appends each finished span to a JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write the batch in one append."""
        text = "".join(json.dumps(span_record(span), default=str) + "\n" for span in spans)
        with self._lock, self._path.open("a", encoding="utf-8") as file:
            file.write(text)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing is held open between batches."""


def read_spans(data_dir: Path) -> Iterator[dict[str, Any]]:
    """Every span recorded under `data_dir`, in file order."""
    for path in sorted((data_dir / TRACES_DIR).glob("*.jsonl")):
        with path.open(encoding="utf-8") as file:
            for line in file:
                if line.strip():
                    yield json.loads(line)
