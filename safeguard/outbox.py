"""Transactional outbox: events are written with the change they report, then relayed to Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaProducer

from safeguard.db.pool import Connection, Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.kafka.producer import create_producer, start_with_retry
from safeguard.settings import Settings

logger = logging.getLogger(__name__)

_CHANNEL = "safeguard_outbox"
# Only one relay may publish at a time, or two could reorder a case's events.
_RELAY_LOCK_KEY = 0x0_07B0_C5


async def enqueue(conn: Connection, envelope: EventEnvelope, *, topic: str) -> bool:
    """Add an event to the outbox in the caller's transaction; False if it was already there."""
    inserted = await conn.fetchval(
        "INSERT INTO messaging.outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (event_id) DO NOTHING RETURNING true",
        envelope.id,
        topic,
        envelope.subject,
        envelope.model_dump(mode="json"),
    )
    await conn.execute("SELECT pg_notify($1, '')", _CHANNEL)
    return bool(inserted)


class OutboxRelay:
    """Publishes unpublished outbox rows in order, woken by NOTIFY or a periodic poll."""

    def __init__(self, *, settings: Settings, pool: Pool, batch: int = 500) -> None:
        self._settings = settings
        self._pool = pool
        self._producer: AIOKafkaProducer = create_producer(settings)
        self._batch = batch
        self._wake = asyncio.Event()

    async def run(self, *, poll_seconds: float = 1.0) -> None:
        """Relay until cancelled, holding the relay lock on a dedicated connection."""
        await start_with_retry(self._producer)
        try:
            async with self._pool.acquire() as listener:
                await listener.execute("SELECT pg_advisory_lock($1)", _RELAY_LOCK_KEY)
                await listener.add_listener(_CHANNEL, self._on_notify)
                try:
                    await self._loop(poll_seconds)
                finally:
                    await listener.remove_listener(_CHANNEL, self._on_notify)
                    await listener.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK_KEY)
        finally:
            await self._producer.stop()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _loop(self, poll_seconds: float) -> None:
        while True:
            self._wake.clear()
            try:
                sent = await self.relay_once()
            except Exception:
                # Kafka or PostgreSQL is unavailable: the rows stay put and are retried.
                logger.exception("outbox relay failed; will retry")
                sent = 0
            if sent < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll_seconds)

    async def relay_once(self) -> int:
        """Publish one batch and mark it published; return how many were sent."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, topic, key, payload FROM messaging.outbox WHERE published_at IS NULL"
                " ORDER BY id LIMIT $1 FOR UPDATE",
                self._batch,
            )
            if not rows:
                return 0
            pending = [
                await self._producer.send(
                    self._settings.topic(row["topic"]),
                    value=EventEnvelope.model_validate(row["payload"]).to_bytes(),
                    key=row["key"].encode(),
                )
                for row in rows
            ]
            await asyncio.gather(*pending)
            await conn.execute(
                "UPDATE messaging.outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
            return len(rows)
