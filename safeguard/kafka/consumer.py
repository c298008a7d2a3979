"""A consumer loop that handles each event once, commits only after handling, and parks poison.

Each event is handled in a transaction that also records its id in `messaging.processed_events`,
so a redelivered event changes nothing. A message that keeps failing is retried with backoff,
then parked on the topic's dead-letter topic with its error, and the partition moves on; a
dependency that is down (PostgreSQL unreachable) is waited out instead, since every message
would fail alike.

A rebalance (another member joining, or this one rejoining after a broker stall) can move a
partition away mid-batch: the consumer leaves it at once, and whatever it handled but could not
commit comes again to the partition's next owner, which skips it as processed. A broker outage
is logged once (safeguard/kafka/outage.py), not per retry.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError
from opentelemetry import trace
from pydantic import ValidationError

from safeguard.db.pool import Connection, Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.kafka.dead_letter import Failure, park
from safeguard.kafka.failures import describe_error, is_transient
from safeguard.kafka.outage import BROKER, is_unreachable, note_fetches, quiet_aiokafka
from safeguard.kafka.producer import create_producer, start_with_retry
from safeguard.kafka.tracing import context_from_headers, current_trace_headers, event_attributes
from safeguard.kafka.unabandoned import unabandoned
from safeguard.metrics import CONSUMER_LAG, EVENTS_HANDLED
from safeguard.settings import Settings

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[Connection, EventEnvelope], Awaitable[None]]
Batch = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]

_RETRY_START = 0.5
_RETRY_MAX = 30.0
_MAX_RECORDS = 500
_FETCH_MAX_WAIT_MS = 20


class EventConsumer:
    """Consume envelopes from topics and apply `handler` in a transaction, exactly once."""

    def __init__(
        self,
        *,
        settings: Settings,
        pool: Pool,
        name: str,
        topics: list[str],
        handler: Handler,
        max_attempts: int | None = None,
        retry_seconds: float | None = None,
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._name = name
        self._topics = [settings.topic(topic) for topic in topics]
        self._handler = handler
        self._max_attempts = max_attempts or settings.kafka_handler_max_attempts
        self._retry_seconds = (
            settings.kafka_handler_retry_seconds if retry_seconds is None else retry_seconds
        )
        self._started = False

    async def run(self) -> None:
        """Consume until cancelled, reconnecting after any failure of the consumer itself."""
        delay = _RETRY_START
        while True:
            self._started = False
            try:
                await self._consume()
            except Exception as error:
                if self._started:
                    delay = _RETRY_START  # it ran: this is a new failure, not a repeated one
                if is_unreachable(error):
                    BROKER.unreachable(type(error).__name__)
                else:
                    logger.warning(
                        "consumer %s stopped (%s); restarting in %.1fs",
                        self._name,
                        type(error).__name__,
                        delay,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX)

    async def _consume(self) -> None:
        consumer = self._new_consumer()
        dead_letters = create_producer(self._settings)
        # Both are stopped even if cancelled while starting (a service stopping during the
        # group join), so neither is left open.
        try:
            await start_with_retry(consumer)
            await start_with_retry(dead_letters)
            self._started = True
            while True:
                batch = await consumer.getmany(timeout_ms=1000, max_records=_MAX_RECORDS)
                note_fetches(consumer, batch)
                handled = await self._handle(consumer, batch, dead_letters)
                await self._measure_lag(consumer)
                # One commit once the whole batch is handled: a crash redelivers at most
                # this batch, and the processed-events ledger turns those into no-ops.
                await self._commit(consumer, handled)
        finally:
            await consumer.stop()
            await dead_letters.stop()

    def _new_consumer(self) -> AIOKafkaConsumer:
        quiet_aiokafka()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_servers(),
            group_id=self._settings.consumer_group(self._name),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A partition whose records were still buffered when a fetch went out waits for
            # that fetch to return: the default 500 ms wait made end-to-end p50 ~250 ms;
            # 20 ms costs an idle consumer 50 small fetches a second.
            fetch_max_wait_ms=_FETCH_MAX_WAIT_MS,
        )
        consumer.subscribe(self._topics, listener=_Rebalances(self._name))
        return consumer

    async def _handle(
        self, consumer: AIOKafkaConsumer, batch: Batch, dead_letters: AIOKafkaProducer
    ) -> dict[TopicPartition, int]:
        """Handle the batch in order; return the next offset of each partition handled.

        A partition a rebalance moved away is left at once: its new owner starts from the last
        commit (and skips what this consumer handled), so going on would only race it.
        """
        handled: dict[TopicPartition, int] = {}
        for partition, messages in batch.items():
            for message in messages:
                if partition not in consumer.assignment():
                    break
                await self._process(message, dead_letters)
                handled[partition] = message.offset + 1
        return handled

    async def _commit(self, consumer: AIOKafkaConsumer, handled: dict[TopicPartition, int]) -> None:
        """Commit what was handled on partitions still this consumer's."""
        owned = {tp: offset for tp, offset in handled.items() if tp in consumer.assignment()}
        if not owned:
            return
        try:
            await unabandoned(consumer.commit(owned))
        except CommitFailedError:
            pass  # the group moved on meanwhile (`_Rebalances` tells); it rejoins by itself

    async def _measure_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Lag per partition from what the last fetch told (no extra broker round trip)."""
        for partition in consumer.assignment():
            highwater = consumer.highwater(partition)
            if highwater is None:  # not fetched yet
                continue
            # Known locally once fetched, so this returns at once.
            position = await consumer.position(partition)
            CONSUMER_LAG.labels(self._name, partition.topic, str(partition.partition)).set(
                max(highwater - position, 0)
            )

    async def _process(self, message: Any, dead_letters: AIOKafkaProducer) -> None:
        parent = context_from_headers(message.headers)
        with tracer.start_as_current_span(
            f"{self._name} process", context=parent, kind=trace.SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.destination.name", message.topic)
            span.set_attribute("messaging.kafka.offset", message.offset)
            envelope = _parse(message.value)
            if isinstance(envelope, str):
                logger.warning("consumer %s: parking a message that is not an event", self._name)
                await park(dead_letters, message, Failure(self._name, envelope, attempts=1))
                return
            span.set_attributes(event_attributes(envelope))
            failure = await self._handle_with_retry(envelope)
            EVENTS_HANDLED.labels(self._name, "handled" if failure is None else "parked").inc()
            if failure is not None:
                await park(dead_letters, message, failure)

    async def _handle_with_retry(self, envelope: EventEnvelope) -> Failure | None:
        """Handle the event; after the last failed attempt, say why instead."""
        attempts = 0
        waiting = _RETRY_START
        while True:
            try:
                await self._handle_once(envelope)
                return None
            except Exception as error:
                if is_transient(error):
                    logger.warning(
                        "consumer %s waits for a dependency (%s)", self._name, type(error).__name__
                    )
                    await asyncio.sleep(waiting)
                    waiting = min(waiting * 2, _RETRY_MAX)
                    continue
                attempts += 1
                logger.warning(
                    "consumer %s: event %s (%s) failed, attempt %d of %d (%s)",
                    self._name,
                    envelope.id,
                    envelope.type,
                    attempts,
                    self._max_attempts,
                    type(error).__name__,
                )
                if attempts >= self._max_attempts:
                    return Failure(self._name, describe_error(error), attempts)
                await asyncio.sleep(self._retry_seconds * 2 ** (attempts - 1))

    async def _handle_once(self, envelope: EventEnvelope) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            # The handler span's context is set for the transaction, so rows the handler
            # writes for later work (a notification to send) can carry the trace on by a
            # column default, without every handler passing it along.
            first_time = await conn.fetchval(
                "INSERT INTO messaging.processed_events (consumer, event_id)"
                " SELECT $1, $2 FROM (SELECT set_config('safeguard.trace_context', $3, true))"
                " AS traced ON CONFLICT DO NOTHING RETURNING true",
                self._name,
                envelope.id,
                json.dumps(current_trace_headers()),
            )
            if first_time:
                await self._handler(conn, envelope)


class _Rebalances(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka has no stubs
    """Says when a rebalance takes partitions from this member (members joined, left, or it
    rejoined after a broker stall): one line, where aiokafka logs each heartbeat that failed."""

    def __init__(self, name: str) -> None:
        self._name = name

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Called before a rebalance with the partitions this member gives up."""
        if revoked:
            logger.info(
                "consumer %s: the group rebalanced (%d partitions given up); events handled but"
                " not committed come again and are skipped as processed",
                self._name,
                len(revoked),
            )

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Called after a rebalance with the partitions this member now owns."""


def _parse(raw: bytes | None) -> EventEnvelope | str:
    """The envelope in a message value, or why there is none."""
    if raw is None:
        return "empty message value"
    try:
        return EventEnvelope.from_bytes(raw)
    except ValidationError as error:
        return describe_error(error)
