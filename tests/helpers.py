"""Helpers shared by the integration tests."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from workflows.referral.actions import PERSONAL_FIELDS

T = TypeVar("T")


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def assert_eventually(
    probe: Callable[[], Awaitable[T]],
    predicate: Callable[[T], bool] = bool,
    *,
    within: float = 30.0,
    interval: float = 0.1,
) -> T:
    """Poll `probe` until `predicate` holds for its value; fail with the last value seen."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s; last value: {value!r}")
        await asyncio.sleep(interval)


def personal_left(value: Any, path: str = "$") -> list[str]:
    """Where `value` (plain JSON values) still holds a field the workflow's inputs declare
    personal (`PERSONAL_FIELDS`), so an erasure test need not list them again."""
    if isinstance(value, dict):
        found = [f"{path}.{k}" for k, v in value.items() if k in PERSONAL_FIELDS and _held(v)]
        return found + [p for k, v in value.items() for p in personal_left(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in personal_left(item, f"{path}[{i}]")]
    return []


def _held(value: Any) -> bool:
    """Whether a field holds anything (an empty mapping of reasons holds none)."""
    return value not in (None, "", [], {})
