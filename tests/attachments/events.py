"""Publishing a lifecycle event straight to the test's topic, as the relay would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from safeguard.events.contracts import DomainEvent
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.settings import Settings


async def publish(settings: Settings, event: DomainEvent) -> None:
    """Send one event, keyed by its referral."""
    envelope = event.envelope(event_id=uuid.uuid4(), source="/tests", time=datetime.now(UTC))
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_servers())
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.topic(REFERRAL_EVENTS), envelope.to_bytes(), key=envelope.subject.encode()
        )
    finally:
        await producer.stop()
