"""The one producer configuration (idempotent, acknowledged by all in-sync replicas), and
starting any Kafka client while the broker may be down or the process stopping."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiokafka import AIOKafkaProducer

from safeguard.kafka.outage import BROKER, is_unreachable, quiet_aiokafka
from safeguard.kafka.unabandoned import unabandoned
from safeguard.settings import Settings

logger = logging.getLogger(__name__)


class Startable(Protocol):
    """A Kafka client that connects on `start()`."""

    async def start(self) -> None: ...


def create_producer(settings: Settings) -> AIOKafkaProducer:
    """A producer that never duplicates or reorders within a partition on retry."""
    quiet_aiokafka()
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_servers(),
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
    )


async def start_with_retry(
    client: Startable, *, first_delay: float = 0.5, cap: float = 5.0
) -> None:
    """Start a Kafka client, waiting out a broker that is down rather than crashing.

    The broker being down is logged once per outage (`BROKER`); the cap keeps a client from
    sleeping long after the broker is back.
    """
    delay = first_delay
    while True:
        try:
            # The caller stops the client afterwards, started or not.
            await unabandoned(client.start())
        except Exception as error:  # aiokafka raises several unrelated types here
            if is_unreachable(error):
                BROKER.unreachable(type(error).__name__)
            else:
                logger.warning("Kafka client not started (%s); retrying", type(error).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, cap)
            continue
        BROKER.answered()
        return
