"""The one producer configuration: idempotent, acknowledged by all in-sync replicas."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiokafka import AIOKafkaProducer

from safeguard.settings import Settings

logger = logging.getLogger(__name__)


class Startable(Protocol):
    """A Kafka client that connects on `start()`."""

    async def start(self) -> None: ...


def create_producer(settings: Settings) -> AIOKafkaProducer:
    """A producer that never duplicates or reorders within a partition on retry."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_servers(),
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
    )


async def start_with_retry(
    client: Startable, *, first_delay: float = 0.5, cap: float = 30.0
) -> None:
    """Start a Kafka client, waiting out a broker that is down rather than crashing."""
    delay = first_delay
    while True:
        try:
            await client.start()
            return
        except Exception as error:  # aiokafka raises several unrelated types here
            logger.warning("Kafka unavailable (%s); retrying in %.1fs", type(error).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, cap)
