"""Explicit topic creation (the broker's auto-creation is switched off)."""

from __future__ import annotations

from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code

from safeguard.events.topics import TOPICS, TopicSpec
from safeguard.settings import Settings

# Another process creating the same topic at the same moment is not a failure.
_TOPIC_ALREADY_EXISTS = 36


class TopicCreationError(RuntimeError):
    """The broker refused to create a topic."""


async def create_topics(
    settings: Settings, *, specs: tuple[TopicSpec, ...] = TOPICS, replication: int = 1
) -> list[str]:
    """Create any missing topics; return the physical names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_servers())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            _new_topic(settings, spec, replication)
            for spec in specs
            if settings.topic(spec.name) not in existing
        ]
        if missing:
            _raise_on_errors(await admin.create_topics(missing))
        return [topic.name for topic in missing]
    finally:
        await admin.close()


def _new_topic(settings: Settings, spec: TopicSpec, replication: int) -> NewTopic:
    return NewTopic(
        name=settings.topic(spec.name),
        num_partitions=spec.partitions,
        replication_factor=replication,
        topic_configs={
            "retention.ms": str(spec.retention_ms),
            "cleanup.policy": "delete",
            # With acks=all, a write is acknowledged only once this many replicas have it.
            "min.insync.replicas": str(min(2, replication)),
        },
    )


def _raise_on_errors(response: Any) -> None:
    for topic, code, *_ in response.topic_errors:
        if code not in (0, _TOPIC_ALREADY_EXISTS):
            raise TopicCreationError(f"could not create topic {topic}: {for_code(code).__name__}")
