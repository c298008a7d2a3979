"""Event contracts: the envelope every Kafka message carries and one model per event type."""

from safeguard.events.contracts import EVENT_TYPES, DomainEvent, ReferralSubmitted, parse_event
from safeguard.events.envelope import EventEnvelope
from safeguard.events.topics import REFERRAL_EVENTS

__all__ = [
    "EVENT_TYPES",
    "REFERRAL_EVENTS",
    "DomainEvent",
    "EventEnvelope",
    "ReferralSubmitted",
    "parse_event",
]
