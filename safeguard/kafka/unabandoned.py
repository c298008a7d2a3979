"""Letting an aiokafka call in flight end before the task that made it is cancelled.

Two of aiokafka 0.14's calls leave something behind when cancelled half way:

- `start()`: `AIOKafkaClient.bootstrap` neither closes nor keeps its first connection when
  cancelled while that connection waits for the cluster's metadata, so a service stopped just
  then leaked an open connection and its stream ("Unclosed AIOKafkaConnection",
  "unclosed <StreamWriter>" at garbage collection).
- `commit()`: the request runs shielded from cancellation, so one abandoned half way failed
  later with nobody to hear it ("Task exception was never retrieved").

Both answer in milliseconds from a live broker, so a stop waits a moment for them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

GRACE_SECONDS = 1.0


async def unabandoned(call: Awaitable[T]) -> T:
    """Await `call`; if cancelled meanwhile, give it `GRACE_SECONDS` to end, then re-raise."""
    running = asyncio.ensure_future(call)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        await asyncio.wait({running}, timeout=GRACE_SECONDS)
        running.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await running  # its outcome retrieved, so asyncio has nothing left to report
        raise
