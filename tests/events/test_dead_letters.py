"""A failing message is retried, parked on the dead-letter topic with its error, and re-driven."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from safeguard.background import running
from safeguard.db.pool import Connection, Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.events.topics import REFERRAL_EVENTS, dead_letter_topic
from safeguard.kafka import dead_letter
from safeguard.kafka.consumer import EventConsumer
from safeguard.kafka.replay import replay_dead_letters
from safeguard.outbox import OutboxRelay, enqueue
from safeguard.settings import Settings
from tests.events.factories import submitted
from tests.events.kafka_reading import read_topic
from tests.helpers import assert_eventually


@dataclass
class FlakyHandler:
    """Fails every event of one case while `broken`; records the events it handled."""

    poison_case: str
    broken: bool = True
    handled: list[uuid.UUID] = field(default_factory=list)
    calls: int = 0

    async def __call__(self, conn: Connection, envelope: EventEnvelope) -> None:
        self.calls += 1
        if self.broken and envelope.subject == self.poison_case:
            raise RuntimeError("handler bug")
        await conn.execute("SELECT 1")
        self.handled.append(envelope.id)


async def _publish(pool: Pool, *envelopes: EventEnvelope) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for envelope in envelopes:
            await enqueue(conn, envelope, topic=REFERRAL_EVENTS)


async def _send_garbage(settings: Settings) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_servers())
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.topic(REFERRAL_EVENTS), value=b'{"not": "an event"}', key=b"case-x"
        )
    finally:
        await producer.stop()


async def test_poison_is_parked_with_its_error_and_re_driven(
    settings: Settings, pool: Pool
) -> None:
    healthy, poisoned = uuid.uuid4(), uuid.uuid4()
    first, poison, later = submitted(healthy), submitted(poisoned), submitted(healthy)
    handler = FlakyHandler(poison_case=str(poisoned))
    consumer = EventConsumer(
        settings=settings,
        pool=pool,
        name="dlq-test",
        topics=[REFERRAL_EVENTS],
        handler=handler,
        max_attempts=3,
        retry_seconds=0.05,
    )
    relay = OutboxRelay(settings=settings, pool=pool)
    parked_topic = settings.topic(dead_letter_topic(REFERRAL_EVENTS))
    async with running(consumer.run(), relay.run(poll_seconds=0.2)):
        await _publish(pool, first, poison, later)
        await _send_garbage(settings)
        await assert_eventually(lambda: _as_set(handler.handled), {first.id, later.id}.issubset)

        parked = await read_topic(settings.kafka_servers(), parked_topic, expected=2)
        headers = [dict(record.headers) for record in parked]
        by_key = {record.key: h for record, h in zip(parked, headers, strict=True)}
        assert by_key[str(poisoned).encode()][dead_letter.ERROR] == b"RuntimeError: handler bug"
        assert by_key[str(poisoned).encode()][dead_letter.ATTEMPTS] == b"3"
        assert by_key[b"case-x"][dead_letter.ERROR].startswith(b"ValidationError:")
        assert {h[dead_letter.CONSUMER] for h in headers} == {b"dlq-test"}
        assert poison.id not in handler.handled

        listed = await replay_dead_letters(settings, dry_run=True)
        assert {(m.event_id, m.consumer) for m in listed} == {
            (str(poison.id), "dlq-test"),
            (None, "dlq-test"),
        }

        handler.broken = False  # the bug is fixed and deployed
        redriven = await replay_dead_letters(settings)
        assert len(redriven) == 2
        await assert_eventually(lambda: _as_set(handler.handled), lambda h: poison.id in h)
        # The garbage still is not an event, so it is parked again; the next replay sees only it.
        await read_topic(settings.kafka_servers(), parked_topic, expected=3)
        again = await replay_dead_letters(settings, dry_run=True)
        assert [m.event_id for m in again] == [None]
    assert handler.handled.count(poison.id) == 1
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM messaging.processed_events WHERE consumer = 'dlq-test'"
            )
            == 3
        )


async def _as_set(items: list[uuid.UUID]) -> set[uuid.UUID]:
    return set(items)
