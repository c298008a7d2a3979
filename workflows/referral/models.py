"""Inputs and outputs of the referral workflow, its activities and its queries.

One input model per workflow and activity, so each can gain defaulted fields without
breaking histories already recorded.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from safeguard.codes import Stage
from safeguard.events.envelope import EventEnvelope
from safeguard.policy import LifecyclePolicy


class ReferralWorkflowInput(BaseModel):
    """What the workflow needs to run a case: ids and codes only, no personal data."""

    referral_id: UUID
    reference: str
    sector: str
    concern_type: str
    received_at: AwareDatetime
    area: str = "unassigned"
    # Personal data, needed to know whose consent to ask; Temporal sees it only encrypted.
    date_of_birth: dt.date | None = None
    linked_referral_ids: list[UUID] = Field(default_factory=list)
    policy: LifecyclePolicy = Field(default_factory=LifecyclePolicy)


class RecordEventInput(BaseModel):
    """A domain event to publish through the outbox."""

    envelope: EventEnvelope


class CaseStatus(BaseModel):
    """The answer to the `status` query."""

    reference: str
    stage: Stage
