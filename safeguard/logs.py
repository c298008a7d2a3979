"""One log format for every process. Log lines carry ids and codes, never personal data.

Each line carries the trace and span ids current when it was logged, so a line leads to its
trace and a trace to its lines.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import trace

FORMAT = "%(asctime)s %(levelname)s %(name)s [trace=%(trace_id)s span=%(span_id)s]: %(message)s"
_NO_TRACE = "-"


def _with_trace_ids(factory: Any) -> Any:
    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        entry: logging.LogRecord = factory(*args, **kwargs)
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry.trace_id = f"{context.trace_id:032x}"
            entry.span_id = f"{context.span_id:016x}"
        else:
            entry.trace_id = entry.span_id = _NO_TRACE
        return entry

    record.with_trace_ids = True  # type: ignore[attr-defined]
    return record


def install_trace_ids() -> None:
    """Give every log record `trace_id` and `span_id`, whichever logger makes it."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "with_trace_ids", False):
        logging.setLogRecordFactory(_with_trace_ids(factory))


def configure_logging(level: str = "INFO") -> None:
    """Plain lines on stderr; `safeguard run` tags each with its component."""
    install_trace_ids()
    logging.basicConfig(level=level, format=FORMAT)
    # aiokafka reports every coordinator hiccup at WARNING while it recovers on its own.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
