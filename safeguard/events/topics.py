"""Logical topic names; `Settings.topic()` turns them into physical names."""

from __future__ import annotations

from dataclasses import dataclass

REFERRAL_EVENTS = "referral.events"


@dataclass(frozen=True)
class TopicSpec:
    """How a topic is created: never left to broker auto-creation."""

    name: str
    partitions: int
    retention_ms: int


# Case events are the system's history, so they are kept until a retention job removes them.
TOPICS: tuple[TopicSpec, ...] = (TopicSpec(REFERRAL_EVENTS, partitions=6, retention_ms=-1),)
