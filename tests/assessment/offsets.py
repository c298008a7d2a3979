"""Whether a consumer group has handled everything on a topic (for catch-up tests)."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from safeguard.events.topics import SOURCE_TOPICS
from safeguard.settings import Settings


async def lag(settings: Settings, *, group: str, topic: str) -> int:
    """Messages on a source topic the group has not committed past (all, before its first)."""
    partitions = next(
        spec.partitions for spec in SOURCE_TOPICS if settings.topic(spec.name) == topic
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_servers())
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_servers(), group_id=None)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
        done = {tp: meta.offset for tp, meta in committed.items()}
        return sum(end - max(done.get(tp, 0), 0) for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()
