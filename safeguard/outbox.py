"""Transactional outbox: events are written with the change they report, then relayed to Kafka.

Per-case order holds end to end: a case's events are enqueued by sequential transactions, so
their outbox ids rise in order; the relay publishes in id order through one idempotent producer
(which retries a batch, never reordering a partition); after a failure it marks only the
acknowledged prefix and starts a fresh producer, so a re-sent event can only repeat an earlier
one, which consumers drop by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import trace

from safeguard.db.listening import keep_listening
from safeguard.db.pool import Connection, Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.kafka.producer import create_producer, start_with_retry
from safeguard.kafka.tracing import (
    context_from_mapping,
    current_trace_headers,
    event_attributes,
    to_kafka_headers,
)
from safeguard.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED
from safeguard.settings import Settings

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

_CHANNEL = "safeguard_outbox"
# Only one relay may publish at a time, or two could reorder a case's events.
_RELAY_LOCK_KEY = 0x0_07B0_C5
# Published rows are kept a while for diagnosis, then pruned when the relay is idle.
KEEP_PUBLISHED = timedelta(days=7)
_PRUNE_EVERY_SECONDS = 300.0
_FAILURE_PAUSE_SECONDS = 1.0


async def enqueue(conn: Connection, envelope: EventEnvelope, *, topic: str) -> bool:
    """Add an event to the outbox in the caller's transaction; False if it was already there."""
    inserted = await conn.fetchval(
        "INSERT INTO messaging.outbox (event_id, topic, key, payload, headers)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING RETURNING true",
        envelope.id,
        topic,
        envelope.subject,
        envelope.model_dump(mode="json"),
        current_trace_headers(),
    )
    await conn.execute("SELECT pg_notify($1, '')", _CHANNEL)
    return bool(inserted)


async def pending_count(conn: Connection) -> int:
    """How many outbox rows wait to be published (a health signal: it grows during outages)."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM messaging.outbox WHERE published_at IS NULL"
    )
    return count


class PublishError(Exception):
    """Kafka did not acknowledge every event of a batch."""


class OutboxRelay:
    """Publishes unpublished outbox rows in order, woken by NOTIFY or a periodic poll."""

    def __init__(self, *, settings: Settings, pool: Pool, batch: int = 500) -> None:
        self._settings = settings
        self._pool = pool
        self._producer: AIOKafkaProducer = create_producer(settings)
        self._batch = batch
        self._wake = asyncio.Event()
        self._pruned_at = 0.0
        # Paused by an outage: warned once, and told when it ends, rather than at every retry.
        self._paused = False

    async def run(self, *, poll_seconds: float = 1.0) -> None:
        """Relay until cancelled, holding the relay lock on a dedicated connection (taken
        again, with the lock, after the database restarts)."""

        async def relay(lost: asyncio.Event) -> None:
            await self._loop(poll_seconds, lost)

        try:
            await start_with_retry(self._producer)
            await keep_listening(
                self._pool,
                channel=_CHANNEL,
                on_notify=self._wake.set,
                body=relay,
                what="outbox relay",
                advisory_lock=_RELAY_LOCK_KEY,
            )
        finally:
            await self._producer.stop()

    async def _loop(self, poll_seconds: float, lost: asyncio.Event) -> None:
        while not lost.is_set():
            self._wake.clear()
            try:
                sent = await self.relay_once()
            except Exception as error:  # Kafka or PostgreSQL unavailable, or a refused batch
                # The unacknowledged rows stay put and are retried, in order.
                if not self._paused:
                    logger.warning("outbox relay paused (%s); retrying", type(error).__name__)
                    self._paused = True
                await self._restart_producer()
                await asyncio.sleep(_FAILURE_PAUSE_SECONDS)
                continue
            if self._paused:
                logger.info("outbox relay resumed")
                self._paused = False
            if sent < self._batch:
                await self._measure_backlog()
                await self._prune_if_due()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll_seconds)

    async def relay_once(self) -> int:
        """Publish one batch and mark what Kafka acknowledged; return how many were sent."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, topic, key, payload, headers FROM messaging.outbox"
                " WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE",
                self._batch,
            )
            if not rows:
                return 0
            acknowledged, error = await self._publish(rows)
            if acknowledged:
                await conn.execute(
                    "UPDATE messaging.outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                    [row["id"] for row in rows[:acknowledged]],
                )
                OUTBOX_PUBLISHED.inc(acknowledged)
        if error is not None:
            raise PublishError(f"{acknowledged} of {len(rows)} acknowledged") from error
        return acknowledged

    async def _publish(self, rows: Sequence[asyncpg.Record]) -> tuple[int, BaseException | None]:
        """Send the rows in order; return the acknowledged prefix's length and the first error."""
        futures: list[asyncio.Future[object]] = []
        send_error: BaseException | None = None
        try:
            for row in rows:
                futures.append(await self._send(row))
        except Exception as error:  # aiokafka raises several unrelated types here
            send_error = error
        results = await asyncio.gather(*futures, return_exceptions=True)
        for index, result in enumerate(results):
            if isinstance(result, BaseException):
                return index, result
        return len(results), send_error

    async def _send(self, row: asyncpg.Record) -> asyncio.Future[object]:
        # The publish span continues the trace of whoever enqueued the event (the stored
        # context), and the message carries the publish span's context on to consumers.
        topic = self._settings.topic(row["topic"])
        envelope = EventEnvelope.model_validate(row["payload"])
        with tracer.start_as_current_span(
            f"{row['topic']} publish",
            context=context_from_mapping(row["headers"]),
            kind=trace.SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": topic,
                **event_attributes(envelope),
            },
        ):
            future: asyncio.Future[object] = await self._producer.send(
                topic,
                value=envelope.to_bytes(),
                key=row["key"].encode(),
                headers=to_kafka_headers(current_trace_headers()),
            )
        return future

    async def _restart_producer(self) -> None:
        """A fresh producer (new producer id) after a failure, so no stale batch is retried."""
        with contextlib.suppress(Exception):
            await self._producer.stop()
        self._producer = create_producer(self._settings)
        await start_with_retry(self._producer)

    async def _measure_backlog(self) -> None:
        async with self._pool.acquire() as conn:
            OUTBOX_BACKLOG.set(await pending_count(conn))

    async def _prune_if_due(self) -> None:
        if time.monotonic() - self._pruned_at < _PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        async with self._pool.acquire() as conn:
            await prune_published(conn, older_than=KEEP_PUBLISHED)


async def prune_published(conn: Connection, *, older_than: timedelta) -> int:
    """Delete rows published longer ago than `older_than`; return how many."""
    deleted: int = await conn.fetchval(
        "WITH gone AS (DELETE FROM messaging.outbox"
        " WHERE published_at < now() - $1::interval RETURNING 1) SELECT count(*) FROM gone",
        older_than,
    )
    return deleted
