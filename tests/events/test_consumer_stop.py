"""A service stopped while its consumer is still starting leaves no connection open."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from safeguard.db.pool import Connection, Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.kafka.consumer import EventConsumer
from safeguard.settings import Settings
from tests.events.held_answers import held_answers


async def _nothing(conn: Connection, envelope: EventEnvelope) -> None:
    return None


@contextlib.contextmanager
def _leaks() -> Iterator[list[str]]:
    """What was left unclosed and collected in the block (ResourceWarnings, also in __del__)."""
    found: list[str] = []

    def unraisable(hook: Any) -> None:
        found.append(f"{hook.exc_type.__name__}: {hook.exc_value}")

    previous = sys.unraisablehook
    sys.unraisablehook = unraisable
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            yield found
            gc.collect()
        found += [str(warning.message) for warning in caught]
    finally:
        sys.unraisablehook = previous


async def test_a_consumer_stopped_while_it_bootstraps_leaves_no_connection_open(
    settings: Settings, pool: Pool
) -> None:
    async with held_answers(settings.kafka_servers(), hold=0.3) as (address, relay):
        via_relay = settings.model_copy(update={"kafka_bootstrap_servers": address})
        consumer = EventConsumer(
            settings=via_relay,
            pool=pool,
            name="stop-test",
            topics=[REFERRAL_EVENTS],
            handler=_nothing,
        )
        with _leaks() as leaked:
            task = asyncio.create_task(consumer.run())
            # The consumer waits for the cluster's metadata: stop the service right then.
            await asyncio.wait_for(relay.holding.wait(), timeout=30)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            del consumer, task
    assert leaked == []
