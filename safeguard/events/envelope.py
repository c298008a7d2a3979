"""The CloudEvents-style envelope around every event on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict


class EventEnvelope(BaseModel):
    """CloudEvents 1.0 attributes plus `schemaversion`; `subject` is the referral id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: UUID
    type: str
    source: str
    time: AwareDatetime
    subject: str
    schemaversion: int
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]

    @property
    def partition_key(self) -> bytes:
        """The Kafka message key: the referral id, so each case's events stay in order."""
        return self.subject.encode()

    def to_bytes(self) -> bytes:
        """JSON bytes for the Kafka message value."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> EventEnvelope:
        """Parse and validate a Kafka message value."""
        return cls.model_validate_json(raw)


def make_envelope(
    *,
    event_id: UUID,
    event_type: str,
    source: str,
    time: datetime,
    subject: str,
    version: int,
    data: dict[str, Any],
) -> EventEnvelope:
    """Build an envelope; a helper so callers name every attribute."""
    return EventEnvelope(
        id=event_id,
        type=event_type,
        source=source,
        time=time,
        subject=subject,
        schemaversion=version,
        data=data,
    )
