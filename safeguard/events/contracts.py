"""One Pydantic model per event type. Events carry ids and codes, never personal data."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from safeguard.events.envelope import EventEnvelope, make_envelope


class DomainEvent(BaseModel):
    """Base of every event payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    referral_id: UUID

    def envelope(self, *, event_id: UUID, source: str, time: datetime) -> EventEnvelope:
        """Wrap this payload for the wire, keyed by its referral."""
        return make_envelope(
            event_id=event_id,
            event_type=self.event_type,
            source=source,
            time=time,
            subject=str(self.referral_id),
            version=self.schema_version,
            data=self.model_dump(mode="json"),
        )


class ReferralSubmitted(DomainEvent):
    """A referral was accepted and its case workflow began gateway assessment."""

    event_type: ClassVar[str] = "referral.submitted"

    reference: str
    sector: str
    concern_type: str
    stage: str
    assessment_due_at: AwareDatetime | None = None


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    model.event_type: model for model in (ReferralSubmitted,)
}


class UnknownEventType(ValueError):
    """The envelope names a type this code does not know."""


def parse_event(envelope: EventEnvelope) -> DomainEvent:
    """Validate an envelope's data against the model of its type."""
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise UnknownEventType(envelope.type)
    return model.model_validate(envelope.data)
