"""What every outage test checks of the answers and the logs while a dependency is down."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

OUTAGE_LOGGER = "safeguard.outages"


def assert_unavailable(answer: httpx.Response, dependency: str) -> None:
    """A 503 problem document naming `dependency`, with a Retry-After in seconds."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 0
    problem = answer.json()
    assert problem["title"] == "Service unavailable"
    assert dependency in problem["detail"]
    assert "Traceback" not in answer.text


@contextmanager
def uvicorn_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Also capture uvicorn's own logger, which does not propagate to the root logger: it is
    where an unhandled error's traceback goes."""
    server = logging.getLogger("uvicorn")
    server.addHandler(caplog.handler)
    try:
        yield
    finally:
        server.removeHandler(caplog.handler)


def assert_one_outage_logged(records: list[logging.LogRecord]) -> None:
    """One warning when the outage began, one line when it ended, and no traceback."""
    # The consumers' broker chatter (aiokafka's) is not about requests.
    tracebacks = [
        r
        for r in records
        if (r.exc_info or r.levelno >= logging.ERROR) and not r.name.startswith("aiokafka")
    ]
    assert not tracebacks, [f"{r.name}: {r.getMessage()}" for r in tracebacks]
    began = [r for r in records if r.name == OUTAGE_LOGGER and r.levelno == logging.WARNING]
    assert len(began) == 1, [r.getMessage() for r in began]
    ended = [r for r in records if r.name == OUTAGE_LOGGER and r.levelno == logging.INFO]
    assert len(ended) == 1, [r.getMessage() for r in ended]
