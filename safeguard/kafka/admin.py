"""Explicit topic creation (the broker's auto-creation is switched off)."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from safeguard.events.topics import TOPICS, TopicSpec
from safeguard.settings import Settings


async def create_topics(
    settings: Settings, *, specs: tuple[TopicSpec, ...] = TOPICS, replication: int = 1
) -> list[str]:
    """Create any missing topics; return the physical names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_servers())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=settings.topic(spec.name),
                num_partitions=spec.partitions,
                replication_factor=replication,
                topic_configs={"retention.ms": str(spec.retention_ms)},
            )
            for spec in specs
            if settings.topic(spec.name) not in existing
        ]
        if missing:
            await admin.create_topics(missing)
        return [topic.name for topic in missing]
    finally:
        await admin.close()
