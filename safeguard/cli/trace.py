"""`safeguard trace REFERENCE`: a case's traces from the local span files, as trees with timings."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer

from safeguard.settings import get_settings
from safeguard.span_file import read_spans

Span = dict[str, Any]


def _mentions(span: Span, reference: str) -> bool:
    attributes = span["attributes"]
    return (
        attributes.get("referral.reference") == reference
        or attributes.get("temporalWorkflowID") == f"referral-{reference}"
        or reference in str(attributes.get("url.path", ""))
    )


def case_traces(spans: list[Span], reference: str) -> dict[str, list[Span]]:
    """The traces that touch the case, and those linked to them, by trace id."""
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_trace[span["trace_id"]].append(span)
    wanted = {span["trace_id"] for span in spans if _mentions(span, reference)}
    linked = {
        span["trace_id"]
        for span in spans
        if any(link["trace_id"] in wanted for link in span["links"])
    }
    linked |= {
        link["trace_id"] for span in spans if span["trace_id"] in wanted for link in span["links"]
    }
    return {trace_id: by_trace[trace_id] for trace_id in wanted | linked if trace_id in by_trace}


def render(spans: list[Span]) -> list[str]:
    """One trace as indented lines: offset from the trace start, duration, service, name."""
    ids = {span["span_id"] for span in spans}
    children: dict[str | None, list[Span]] = defaultdict(list)
    for span in spans:
        parent = span["parent_id"] if span["parent_id"] in ids else None
        children[parent].append(span)
    start = min(span["start"] for span in spans)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in sorted(children[parent], key=lambda s: s["start"]):
            offset = (span["start"] - start) / 1e6
            took = ((span["end"] or span["start"]) - span["start"]) / 1e6
            links = f"  (linked to {len(span['links'])})" if span["links"] else ""
            lines.append(
                f"{offset:10.1f} ms {took:9.1f} ms  {'  ' * depth}{span['name']}"
                f"  [{span['service']}]{links}"
            )
            walk(span["span_id"], depth + 1)

    walk(None, 0)
    return lines


def trace_command(
    reference: str,
    data_dir: Annotated[Path | None, typer.Option(help="Where the span files are.")] = None,
) -> None:
    """Print the span trees of a case (local runs without an OTLP collector)."""
    spans = list(read_spans(data_dir or get_settings().data_dir))
    traces = case_traces(spans, reference)
    if not traces:
        typer.echo(f"no spans mention {reference}", err=True)
        raise typer.Exit(1)
    for trace_id, members in sorted(traces.items(), key=lambda t: min(s["start"] for s in t[1])):
        typer.echo(f"trace {trace_id} ({len(members)} spans)")
        for line in render(members):
            typer.echo(line)
        typer.echo("")
