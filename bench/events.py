"""Event backbone throughput and latency on the embedded stack.

Prints, from one run on its own PostgreSQL and Kafka (free ports, a temporary data dir):
raw aiokafka produce and consume throughput (the ceiling), outbox-to-Kafka relay throughput,
and end-to-end latency from a committed outbox row to the consumer's handler, p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from safeguard.background import running
from safeguard.db.migrate import migrate
from safeguard.db.pool import Connection, Pool, create_pool
from safeguard.events.contracts import AssessmentReminderDue
from safeguard.events.envelope import EventEnvelope
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.kafka.admin import create_topics
from safeguard.kafka.consumer import EventConsumer
from safeguard.kafka.producer import create_producer
from safeguard.outbox import OutboxRelay, enqueue, pending_count
from safeguard.settings import Settings, StackPorts
from safeguard.stack import Stack

sys.path.insert(0, str(Path(__file__).parent))
from summary import figure  # noqa: E402

RAW_MESSAGES = 20_000
OUTBOX_EVENTS = 20_000
LATENCY_RATE = 200  # events per second, each in its own transaction
LATENCY_SECONDS = 15
CASES = 1_000


def free_ports(count: int) -> list[int]:
    """Free loopback ports below the ephemeral range (clear of ports the OS hands out)."""
    ports: set[int] = set()
    while len(ports) < count:
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.add(port)
    return sorted(ports)


def envelope(case: uuid.UUID) -> EventEnvelope:
    """A realistic event (about 400 bytes on the wire)."""
    event = AssessmentReminderDue(
        referral_id=case,
        reference="PRV-2026-000001",
        stage="GATEWAY_ASSESSMENT",
        area="north",
        due_at=datetime.now(UTC),
    )
    return event.envelope(event_id=uuid.uuid4(), source="/bench", time=datetime.now(UTC))


RATES: dict[str, float] = {}


def report(label: str, count: int, seconds: float) -> None:
    """One throughput line (kept for the summary)."""
    RATES[label] = count / seconds
    print(f"  {label:<44} {count / seconds:>10,.0f} msg/s  ({count:,} in {seconds:.2f} s)")


def summarise() -> None:
    """The relay beside raw produce, the consumer path beside raw consume."""
    raw = RATES.get("raw aiokafka produce (acks=all, idempotent)")
    figure("outbox -> Kafka relay", RATES["outbox -> Kafka relay"], unit="msg/s", baseline=raw)


async def raw_produce(settings: Settings, cases: list[uuid.UUID]) -> None:
    """The idempotent acks=all producer alone, pipelined."""
    values = [
        (str(cases[i % CASES]).encode(), envelope(cases[i % CASES]).to_bytes())
        for i in range(RAW_MESSAGES)
    ]
    producer = create_producer(settings)
    await producer.start()
    try:
        start = time.perf_counter()
        futures = [
            await producer.send(settings.topic(REFERRAL_EVENTS), value=v, key=k) for k, v in values
        ]
        await asyncio.gather(*futures)
        report(
            "raw aiokafka produce (acks=all, idempotent)", RAW_MESSAGES, time.perf_counter() - start
        )
    finally:
        await producer.stop()


async def raw_consume(settings: Settings) -> None:
    """A plain consumer reading the topic from the start."""
    consumer = AIOKafkaConsumer(
        settings.topic(REFERRAL_EVENTS),
        bootstrap_servers=settings.kafka_servers(),
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    try:
        start, seen = time.perf_counter(), 0
        while seen < RAW_MESSAGES:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(records) for records in batch.values())
        report("raw aiokafka consume", seen, time.perf_counter() - start)
    finally:
        await consumer.stop()


async def outbox_relay(settings: Settings, pool: Pool, cases: list[uuid.UUID]) -> None:
    """Rows already committed to the outbox, then the relay drains them."""
    for offset in range(0, OUTBOX_EVENTS, 500):
        async with pool.acquire() as conn, conn.transaction():
            for i in range(offset, offset + 500):
                await enqueue(conn, envelope(cases[i % CASES]), topic=REFERRAL_EVENTS)
    relay = OutboxRelay(settings=settings, pool=pool)
    start = time.perf_counter()
    async with running(relay.run(poll_seconds=0.05)), pool.acquire() as conn:
        await wait_for(lambda: pending_count(conn), lambda n: n == 0)
    report("outbox -> Kafka relay", OUTBOX_EVENTS, time.perf_counter() - start)


async def end_to_end(settings: Settings, pool: Pool, cases: list[uuid.UUID]) -> None:
    """Committed outbox row to handler, at a steady rate, through relay and consumer."""
    committed: dict[uuid.UUID, float] = {}
    consumed: dict[uuid.UUID, float] = {}

    async def handler(conn: Connection, event: EventEnvelope) -> None:
        consumed.setdefault(event.id, time.perf_counter())

    consumer = EventConsumer(
        settings=settings, pool=pool, name="bench", topics=[REFERRAL_EVENTS], handler=handler
    )
    relay = OutboxRelay(settings=settings, pool=pool)
    async with running(consumer.run(), relay.run()):
        await produce_steadily(pool, cases[:1], {}, count=1)  # waits out the group join
        await wait_for(lambda: asyncio.sleep(0, len(consumed)), lambda n: n >= 1, within=60)
        consumed.clear()
        await produce_steadily(pool, cases, committed, count=LATENCY_RATE * LATENCY_SECONDS)
        await wait_for(lambda: asyncio.sleep(0, len(consumed)), lambda n: n >= len(committed))
    latencies = sorted((consumed[i] - committed[i]) * 1000 for i in committed)
    q = statistics.quantiles(latencies, n=100)
    figure("commit -> handler p50", q[49], unit="ms", better="lower")
    figure("commit -> handler p99", q[98], unit="ms", better="lower")
    print(
        f"  {'end to end (commit -> handler), ' + str(LATENCY_RATE) + '/s':<44}"
        f" p50 {q[49]:6.1f} ms   p99 {q[98]:6.1f} ms   max {latencies[-1]:6.1f} ms"
    )


async def produce_steadily(
    pool: Pool, cases: list[uuid.UUID], committed: dict[uuid.UUID, float], *, count: int
) -> None:
    """One event per transaction at LATENCY_RATE, noting when each commit returned."""
    start = time.perf_counter()
    for i in range(count):
        event = envelope(cases[i % len(cases)])
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, event, topic=REFERRAL_EVENTS)
        committed[event.id] = time.perf_counter()
        await asyncio.sleep(max(0.0, start + (i + 1) / LATENCY_RATE - time.perf_counter()))


async def wait_for(
    probe: Callable[[], Awaitable[int]], done: Callable[[int], bool], *, within: float = 120
) -> None:
    """Poll `probe` until `done` holds."""
    deadline = time.monotonic() + within
    while not done(await probe()):
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark stalled")
        await asyncio.sleep(0.01)


async def main() -> None:
    # aiokafka reports the group coordinator's start-up at ERROR while it recovers on its own.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-events-"))
    pg, kafka, controller = free_ports(3)
    ports = StackPorts(postgres=pg, kafka=kafka, kafka_controller=controller)
    stack = Stack(data_dir=root / "data", ports=ports, components=("postgres", "kafka"))
    try:
        await stack.up()
        await migrate(stack.postgres_dsn())
        base = Settings(
            environment="test",
            database_url=stack.postgres_dsn(),
            kafka_bootstrap_servers=stack.kafka_bootstrap(),
        )
        print(f"events bench: {os.cpu_count()} CPUs, Kafka and PostgreSQL on loopback")
        cases = [uuid.uuid4() for _ in range(CASES)]
        pool = await create_pool(base)
        try:
            raw = base.model_copy(update={"kafka_topic_prefix": "raw."})
            await create_topics(raw)
            await raw_produce(raw, cases)
            await raw_consume(raw)
            relayed = base.model_copy(update={"kafka_topic_prefix": "relay."})
            await create_topics(relayed)
            await outbox_relay(relayed, pool, cases)
            latency = base.model_copy(update={"kafka_topic_prefix": "e2e."})
            await create_topics(latency)
            await end_to_end(latency, pool, cases)
            summarise()
        finally:
            await pool.close()
    finally:
        await stack.down()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__).parse_args()
    asyncio.run(main())
