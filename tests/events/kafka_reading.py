"""Reading a topic back from Kafka in tests."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer


async def read_topic(bootstrap: str, topic: str, *, expected: int, within: float = 30) -> list[Any]:
    """At least `expected` records of `topic` from the start (fails after `within` seconds)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        found: list[Any] = []
        async with asyncio.timeout(within):
            while len(found) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                found += [record for records in batch.values() for record in records]
        return found
    finally:
        await consumer.stop()
