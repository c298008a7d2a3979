"""Logical topic names; `Settings.topic()` turns them into physical names."""

from __future__ import annotations

from dataclasses import dataclass

REFERRAL_EVENTS = "referral.events"

# Suffix of the topic that parks a source topic's messages no consumer could handle.
DEAD_LETTER_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    """How a topic is created: never left to broker auto-creation."""

    name: str
    partitions: int
    retention_ms: int


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic of a (logical or physical) topic."""
    return f"{topic}{DEAD_LETTER_SUFFIX}"


def source_topic(dead_letter: str) -> str:
    """The topic a dead-letter topic parks messages from."""
    if not dead_letter.endswith(DEAD_LETTER_SUFFIX):
        raise ValueError(f"{dead_letter} is not a dead-letter topic")
    return dead_letter.removesuffix(DEAD_LETTER_SUFFIX)


# Case events are the system's history, so they are kept until a retention job removes them.
SOURCE_TOPICS: tuple[TopicSpec, ...] = (TopicSpec(REFERRAL_EVENTS, partitions=6, retention_ms=-1),)

# A parked message is an event not yet handled: it is kept like its source until re-driven.
# One partition: parked messages are few, and re-driving them in parking order is simplest.
TOPICS: tuple[TopicSpec, ...] = SOURCE_TOPICS + tuple(
    TopicSpec(dead_letter_topic(spec.name), partitions=1, retention_ms=spec.retention_ms)
    for spec in SOURCE_TOPICS
)
