"""Inputs and outputs of the referral workflow, its activities and its queries.

One input model per workflow and activity, so each can gain defaulted fields without
breaking histories already recorded.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, BaseModel

from safeguard.events.envelope import EventEnvelope


class Stage(StrEnum):
    """Where a case stands in the Prevent lifecycle."""

    SUBMITTED = "SUBMITTED"
    GATEWAY_ASSESSMENT = "GATEWAY_ASSESSMENT"


class ReferralWorkflowInput(BaseModel):
    """What the workflow needs to run a case: ids and codes only, no personal data."""

    referral_id: UUID
    reference: str
    sector: str
    concern_type: str
    received_at: AwareDatetime


class RecordEventInput(BaseModel):
    """A domain event to publish through the outbox."""

    envelope: EventEnvelope


class CaseStatus(BaseModel):
    """The answer to the `status` query."""

    reference: str
    stage: Stage
