"""Parking a message no handler could process on its topic's dead-letter topic, with its error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from safeguard.events.topics import dead_letter_topic

# Headers a parked message carries beside its original ones.
CONSUMER = "dlq.consumer"
ERROR = "dlq.error"
TOPIC = "dlq.topic"
PARTITION = "dlq.partition"
OFFSET = "dlq.offset"
ATTEMPTS = "dlq.attempts"
PARKED_HEADERS = frozenset({CONSUMER, ERROR, TOPIC, PARTITION, OFFSET, ATTEMPTS})
# Set on a message re-driven from the dead-letter topic, so it can be told apart.
REDRIVEN = "dlq.redriven"


@dataclass(frozen=True)
class Failure:
    """Why and by whom a message was given up on."""

    consumer: str
    error: str
    attempts: int


async def park(producer: AIOKafkaProducer, message: Any, failure: Failure) -> None:
    """Copy `message` (a ConsumerRecord) to the dead-letter topic; return once it is stored."""
    headers = [(name, value) for name, value in message.headers or () if name not in PARKED_HEADERS]
    headers += [
        (CONSUMER, failure.consumer.encode()),
        (ERROR, failure.error.encode()),
        (TOPIC, message.topic.encode()),
        (PARTITION, str(message.partition).encode()),
        (OFFSET, str(message.offset).encode()),
        (ATTEMPTS, str(failure.attempts).encode()),
    ]
    await producer.send_and_wait(
        dead_letter_topic(message.topic), value=message.value, key=message.key, headers=headers
    )
