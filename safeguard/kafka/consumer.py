"""A consumer loop that handles each event once and commits only after handling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from safeguard.db.pool import Connection, Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.kafka.producer import start_with_retry
from safeguard.settings import Settings

logger = logging.getLogger(__name__)

Handler = Callable[[Connection, EventEnvelope], Awaitable[None]]

_RETRY_START = 0.5
_RETRY_MAX = 30.0


class EventConsumer:
    """Consume envelopes from topics and apply `handler` in a transaction, exactly once."""

    def __init__(
        self, *, settings: Settings, pool: Pool, name: str, topics: list[str], handler: Handler
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._name = name
        self._topics = [settings.topic(topic) for topic in topics]
        self._handler = handler

    async def run(self) -> None:
        """Consume until cancelled, reconnecting after any failure of the consumer itself."""
        delay = _RETRY_START
        while True:
            try:
                await self._consume()
            except Exception:
                logger.exception("consumer %s stopped; restarting in %.1fs", self._name, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._settings.kafka_servers(),
            group_id=self._settings.consumer_group(self._name),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await start_with_retry(consumer)
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=1000, max_records=200)
                for partition, messages in batch.items():
                    await self._handle_partition(consumer, partition, messages)
        finally:
            await consumer.stop()

    async def _handle_partition(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, messages: list[Any]
    ) -> None:
        for message in messages:
            await self._handle_with_retry(message.value)
            # Commit per message: a crash then redelivers at most the message in hand.
            await consumer.commit({partition: message.offset + 1})

    async def _handle_with_retry(self, raw: bytes) -> None:
        try:
            envelope = EventEnvelope.from_bytes(raw)
        except ValidationError:
            logger.error("skipping a message that is not a valid event envelope (%s)", self._name)
            return
        delay = _RETRY_START
        while True:
            try:
                await self._handle_once(envelope)
                return
            except Exception:
                logger.exception("handling event %s failed; retrying in %.1fs", envelope.id, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX)

    async def _handle_once(self, envelope: EventEnvelope) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            first_time = await conn.fetchval(
                "INSERT INTO messaging.processed_events (consumer, event_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING true",
                self._name,
                envelope.id,
            )
            if first_time:
                await self._handler(conn, envelope)
