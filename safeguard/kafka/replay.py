"""Re-driving parked messages from a dead-letter topic back onto their source topic.

The replay reads the dead-letter topic up to its end at the start of the run, republishes each
message (key, value and original headers) to the topic it came from, and then commits its own
group's offsets, so every parked message is re-driven once. A consumer that already handled the
event (parking is per consumer) skips the copy by its event id; one that failed handles it anew,
and parks it again if it still fails.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from safeguard.events.topics import REFERRAL_EVENTS, dead_letter_topic, source_topic
from safeguard.kafka import dead_letter
from safeguard.kafka.producer import create_producer
from safeguard.settings import Settings


@dataclass(frozen=True)
class ParkedMessage:
    """One message on a dead-letter topic, described by ids and codes only."""

    offset: int
    consumer: str
    error: str
    source_topic: str
    event_id: str | None
    event_type: str | None
    duplicate: bool


async def replay_dead_letters(
    settings: Settings, *, topic: str = REFERRAL_EVENTS, dry_run: bool = False
) -> list[ParkedMessage]:
    """Re-drive what is parked for `topic` (a logical name); with `dry_run`, only list it."""
    parked_topic = settings.topic(dead_letter_topic(topic))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_servers(),
        group_id=settings.consumer_group(f"dlq-replay.{topic}"),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        await consumer.start()
        partitions = await _partitions(settings, parked_topic)
        consumer.assign(partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        messages = await _read_until(consumer, ends)
        described = _describe(messages)
        if not dry_run:
            await _republish(settings, messages, described)
            if ends:
                await consumer.commit(ends)
        return described
    finally:
        await consumer.stop()


async def _partitions(settings: Settings, topic: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_servers())
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    numbers = sorted(
        p["partition"] for t in described if t["topic"] == topic for p in t["partitions"]
    )
    return [TopicPartition(topic, number) for number in numbers]


async def _read_until(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> list[Any]:
    """Every message from the group's position up to the end offsets taken at the start."""
    found: list[Any] = []
    remaining = {tp for tp, end in ends.items() if await consumer.position(tp) < end}
    while remaining:
        batch = await consumer.getmany(*remaining, timeout_ms=1000)
        for tp, records in batch.items():
            found += [record for record in records if record.offset < ends[tp]]
        remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    return sorted(found, key=lambda record: (record.partition, record.offset))


def _describe(messages: list[Any]) -> list[ParkedMessage]:
    seen: set[str] = set()
    described = []
    for message in messages:
        digest = hashlib.sha256((message.key or b"") + b"\0" + (message.value or b"")).hexdigest()
        described.append(_parked(message, duplicate=digest in seen))
        seen.add(digest)
    return described


def _parked(message: Any, *, duplicate: bool) -> ParkedMessage:
    headers = {name: value.decode(errors="replace") for name, value in message.headers or ()}
    event_id, event_type = _event_identity(message.value)
    return ParkedMessage(
        offset=message.offset,
        consumer=headers.get(dead_letter.CONSUMER, "?"),
        error=headers.get(dead_letter.ERROR, ""),
        source_topic=headers.get(dead_letter.TOPIC) or source_topic(message.topic),
        event_id=event_id,
        event_type=event_type,
        duplicate=duplicate,
    )


def _event_identity(raw: bytes | None) -> tuple[str | None, str | None]:
    """The envelope's id and type if the value has them (an invalid message may not)."""
    try:
        body = json.loads(raw or b"")
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    return _text(body.get("id")), _text(body.get("type"))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


async def _republish(
    settings: Settings, messages: list[Any], described: list[ParkedMessage]
) -> None:
    """Send each distinct parked message back to its source topic, in parking order."""
    producer = create_producer(settings)
    try:
        await producer.start()
        for message, parked in zip(messages, described, strict=True):
            if parked.duplicate:
                continue  # parked by two consumers: one copy reaches both again
            headers = [
                (name, value)
                for name, value in message.headers or ()
                if name not in dead_letter.PARKED_HEADERS
            ]
            await producer.send_and_wait(
                parked.source_topic,
                value=message.value,
                key=message.key,
                headers=[*headers, (dead_letter.REDRIVEN, b"1")],
            )
    finally:
        await producer.stop()
