"""A broker stalled past the session timeout: the group rejoins and no event is handled twice.

Two consumers of one group (two replicas of a service) are half way through their batches, a
handler held in its transaction, when the broker is frozen (SIGSTOP) for twice the session
timeout and let go. The members rejoin, the events they handled but had not committed come
again, and the processed-events ledger must skip every one of them.

Whether the broker drops the members is a race inside it: a heartbeat sent into the frozen
broker's socket, read before its session timer fires, keeps a member in. Here that happened in
one stall in three to one in two, and four stalls in a row once in CI, so the test stalls again,
up to eight times, until the group has rebalanced (all eight keeping it: well under 1%).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import uuid
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY

from safeguard.background import running
from safeguard.db.pool import Connection, Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.events.topics import REFERRAL_EVENTS, SOURCE_TOPICS
from safeguard.kafka.admin import create_topics
from safeguard.kafka.consumer import EventConsumer
from safeguard.kafka.producer import create_producer
from safeguard.settings import Settings
from safeguard.stack import Stack
from tests.events.factories import envelope_for, sample_event
from tests.helpers import assert_eventually

EVENTS = 600
GROUP = "stall-test"
# aiokafka's default session timeout is 10 s: twice that, so the broker drops both members.
STALL_SECONDS = 20
STALLS = 8
REBALANCED = "the group rebalanced"


class HeldHandler:
    """Writes one row per event inside the consumer's transaction; waits while `open` is clear."""

    def __init__(self) -> None:
        self.calls: Counter[uuid.UUID] = Counter()
        self.open = asyncio.Event()
        self.open.set()

    async def __call__(self, conn: Connection, envelope: EventEnvelope) -> None:
        self.calls[envelope.id] += 1
        await self.open.wait()
        await asyncio.sleep(0.02)
        await conn.execute("INSERT INTO public.effects (event_id) VALUES ($1)", envelope.id)


async def _publish(settings: Settings, count: int) -> set[uuid.UUID]:
    producer = create_producer(settings)
    await producer.start()
    sent: set[uuid.UUID] = set()
    try:
        for _ in range(count):
            envelope = envelope_for(
                sample_event("assessment.reminder_due", referral_id=uuid.uuid4())
            )
            await producer.send(
                settings.topic(REFERRAL_EVENTS),
                value=envelope.to_bytes(),
                key=envelope.subject.encode(),
            )
            sent.add(envelope.id)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def _effects(pool: Pool) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM public.effects")
    return count


async def _committed(settings: Settings) -> int:
    """The group's committed offsets, summed over the topic's partitions."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_servers(),
        group_id=settings.consumer_group(GROUP),
        enable_auto_commit=False,
    )
    await reader.start()
    try:
        topic = settings.topic(REFERRAL_EVENTS)
        partitions = range(SOURCE_TOPICS[0].partitions)
        offsets = [await reader.committed(TopicPartition(topic, p)) for p in partitions]
    finally:
        await reader.stop()
    return sum(offset or 0 for offset in offsets)


async def _stall(broker: int) -> None:
    os.kill(broker, signal.SIGSTOP)
    try:
        await asyncio.sleep(STALL_SECONDS)
    finally:
        os.kill(broker, signal.SIGCONT)


async def _rebalanced(caplog: pytest.LogCaptureFixture, *, since: int) -> bool:
    """Whether a member said it gave partitions up in a rebalance (waiting 15 s for it)."""
    for _ in range(150):
        if any(REBALANCED in r.getMessage() for r in caplog.records[since:]):
            return True
        await asyncio.sleep(0.1)
    return False


def _deliveries() -> float:
    """Events the group's consumers were given so far, repeats included."""
    labels = {"consumer": GROUP, "outcome": "handled"}
    return REGISTRY.get_sample_value("safeguard_kafka_events_handled_total", labels) or 0.0


# Up to 90 s to start, eight stalls of 35 s (20 frozen, 15 to see the rebalance), 180 s to
# finish: over the suite's 300 s when the broker keeps the group five times or more.
@pytest.mark.timeout(900)
async def test_a_stalled_broker_makes_the_group_rejoin_and_no_event_is_handled_twice(
    settings: Settings, pool: Pool, own_broker: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = settings.model_copy(update={"kafka_bootstrap_servers": own_broker.kafka_bootstrap()})
    await create_topics(settings)
    await pool.execute("CREATE TABLE public.effects (event_id uuid NOT NULL)")
    sent = await _publish(settings, EVENTS)
    handler = HeldHandler()
    replicas = [
        EventConsumer(
            settings=settings, pool=pool, name=GROUP, topics=[REFERRAL_EVENTS], handler=handler
        )
        for _ in range(2)
    ]
    delivered_before = _deliveries()
    broker = int((own_broker.data_dir / "run" / "kafka.pid").read_text())

    async with running(*(replica.run() for replica in replicas)):
        await assert_eventually(lambda: _effects(pool), lambda n: n >= EVENTS // 5, within=90)
        handler.open.clear()
        before_stall = len(caplog.records)
        for _ in range(STALLS):
            await _stall(broker)
            if await _rebalanced(caplog, since=before_stall):
                break
        handler.open.set()
        stalled = caplog.records[before_stall:]
        rejoined = [r for r in stalled if REBALANCED in r.getMessage()]
        assert rejoined, f"the broker kept the group through {STALLS} stalls"
        # Everything handled and committed: nothing is left to come again.
        await assert_eventually(lambda: _effects(pool), lambda n: n >= EVENTS, within=120)
        await assert_eventually(lambda: _committed(settings), lambda n: n == EVENTS, within=60)

    rows = await pool.fetch("SELECT event_id, count(*) AS n FROM public.effects GROUP BY event_id")
    assert {row["event_id"] for row in rows} == sent
    assert {row["n"] for row in rows} == {1}  # every effect applied once
    assert set(handler.calls) == sent and set(handler.calls.values()) == {1}  # and run once
    repeats = _deliveries() - delivered_before - EVENTS
    assert repeats > 0, "the stall should have brought handled, uncommitted events again"

    # The rejoin is told in a line per member, not in aiokafka's heartbeat errors.
    assert not [r for r in caplog.records if r.name.startswith("aiokafka") and r.levelno >= 30]
    rejoins = [r for r in caplog.records[before_stall:] if REBALANCED in r.getMessage()]
    assert len(rejoins) <= 2 * len(replicas) * STALLS
