"""Kafka down for 30 seconds while cases keep producing events: every event arrives, in order,
and the outage is logged once rather than at every retry."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict

import pytest

from safeguard.background import running
from safeguard.db.pool import Connection, Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.kafka.admin import create_topics
from safeguard.kafka.consumer import EventConsumer
from safeguard.kafka.outage import BROKER
from safeguard.outbox import OutboxRelay, enqueue, pending_count
from safeguard.settings import Settings
from safeguard.stack import Stack
from tests.events.factories import envelope_for, sample_event
from tests.events.kafka_reading import read_topic
from tests.helpers import assert_eventually

OUTAGE_SECONDS = 30
CASES = 12


class CaseFlow:
    """Each case emits an event every tick, each in its own transaction, as workflows do."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.cases = [uuid.uuid4() for _ in range(CASES)]
        self.sent: dict[str, list[uuid.UUID]] = defaultdict(list)
        self.stop = asyncio.Event()

    async def run(self) -> None:
        while not self.stop.is_set():
            for case in self.cases:
                envelope = envelope_for(sample_event("assessment.reminder_due", referral_id=case))
                async with self.pool.acquire() as conn, conn.transaction():
                    await enqueue(conn, envelope, topic=REFERRAL_EVENTS)
                self.sent[envelope.subject].append(envelope.id)
            await asyncio.sleep(0.25)

    @property
    def total(self) -> int:
        return sum(len(ids) for ids in self.sent.values())


async def _record(conn: Connection, envelope: EventEnvelope) -> None:
    await conn.execute(
        "INSERT INTO public.seen (event_id, case_id) VALUES ($1, $2)", envelope.id, envelope.subject
    )


async def _seen(pool: Pool) -> dict[str, list[uuid.UUID]]:
    rows = await pool.fetch("SELECT event_id, case_id FROM public.seen ORDER BY seq")
    by_case: dict[str, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        by_case[row["case_id"]].append(row["event_id"])
    return by_case


async def _said(caplog: pytest.LogCaptureFixture, text: str, since: int) -> bool:
    return any(text in record.getMessage() for record in caplog.records[since:])


def _assert_told_once(records: list[logging.LogRecord]) -> None:
    """One warning for the outage and one line when it ended; no retry told one by one."""
    kafka = [r for r in records if r.name.startswith(("aiokafka", "safeguard.kafka"))]
    warned = [r.getMessage() for r in kafka if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and warned[0].startswith("Kafka is unreachable"), warned[:5]
    ended = [r for r in kafka if r.getMessage().startswith("Kafka answers again")]
    assert len(ended) == 1


async def test_an_outage_delays_events_and_loses_none(
    settings: Settings, pool: Pool, own_broker: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    BROKER.answered()  # an outage another test left open is not this one's
    settings = settings.model_copy(update={"kafka_bootstrap_servers": own_broker.kafka_bootstrap()})
    await create_topics(settings)
    await pool.execute(
        "CREATE TABLE public.seen (seq bigserial PRIMARY KEY, event_id uuid UNIQUE, case_id text)"
    )
    flow = CaseFlow(pool)
    consumer = EventConsumer(
        settings=settings, pool=pool, name="outage-test", topics=[REFERRAL_EVENTS], handler=_record
    )
    relay = OutboxRelay(settings=settings, pool=pool)
    async with running(consumer.run(), relay.run(poll_seconds=0.2), flow.run()):
        await assert_eventually(lambda: _seen(pool), lambda s: len(s) == CASES)
        before_outage = len(caplog.records)
        await own_broker.down()
        # The outage itself: cases go on producing for its whole length.
        await asyncio.sleep(OUTAGE_SECONDS)
        async with pool.acquire() as conn:
            waiting = await pending_count(conn)
        assert waiting >= CASES * OUTAGE_SECONDS  # four ticks a second, less start-up slack
        await own_broker.up()
        async with pool.acquire() as conn:
            await assert_eventually(lambda: pending_count(conn), lambda n: n == 0, within=120)
        await assert_eventually(lambda: _said(caplog, "Kafka answers again", before_outage))
        flow.stop.set()
    _assert_told_once(caplog.records[before_outage:])
    async with running(consumer.run()):
        seen = await assert_eventually(
            lambda: _seen(pool), lambda s: sum(map(len, s.values())) >= flow.total, within=120
        )
    assert seen == flow.sent  # every event, once, in each case's order

    wire = await read_topic(
        settings.kafka_servers(), settings.topic(REFERRAL_EVENTS), expected=flow.total
    )
    first_seen: dict[str, list[uuid.UUID]] = defaultdict(list)
    for record in wire:
        event_id = EventEnvelope.from_bytes(record.value).id
        if event_id not in first_seen[record.key.decode()]:
            first_seen[record.key.decode()].append(event_id)
    assert first_seen == flow.sent  # on the topic too, keyed by case, in order
