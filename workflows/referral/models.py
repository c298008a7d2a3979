"""Inputs and outputs of the referral workflow, its activities and its query."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from safeguard.codes import UNASSIGNED_AREA, ClosureReason, ConsentPolicy, Role, Stage
from safeguard.events.envelope import EventEnvelope
from safeguard.policy import LifecyclePolicy
from workflows.referral.state import CaseState


class SubmittingAgency(BaseModel):
    """The registered client a referral came through: an organisation, never a person."""

    client_id: str
    name: str


class ReferralWorkflowInput(BaseModel):
    """What the workflow needs to run a case; `state` carries a case across continue-as-new."""

    referral_id: UUID
    reference: str
    sector: str
    concern_type: str
    received_at: AwareDatetime
    area: str = UNASSIGNED_AREA
    # Personal data, needed to know whose consent to ask; Temporal sees it only encrypted.
    date_of_birth: dt.date | None = None
    linked_referral_ids: list[UUID] = Field(default_factory=list)
    # For the history: who sent the referral. None in cases started before it was recorded.
    agency: SubmittingAgency | None = None
    policy: LifecyclePolicy = Field(default_factory=LifecyclePolicy)
    history_limit: int = 5_000
    # Set only by continue-as-new, to carry the case into the next run.
    state: CaseState | None = None


class RecordEventInput(BaseModel):
    """A domain event to publish through the outbox."""

    envelope: EventEnvelope


class RecordEventsInput(BaseModel):
    """The events of one step, in publishing order, to publish through the outbox at once."""

    envelopes: list[EventEnvelope]


class DueDateInput(BaseModel):
    """Working days after a moment, skipping weekends and bank holidays."""

    start: AwareDatetime
    working_days: int
    reminder_working_days: int
    subdivision: str


class DueDates(BaseModel):
    """When an assessment is due, and when to remind before that."""

    reminder_at: AwareDatetime
    due_at: AwareDatetime


class PendingTransferView(BaseModel):
    """A transfer waiting for the receiving area (its reason is in the case's decisions)."""

    to_area: str
    requested_at: AwareDatetime
    requested_role: Role


class PostExitReviewWindow(BaseModel):
    """A post-exit review not yet held: when it falls due, and from when it may be recorded."""

    months: int
    due_at: AwareDatetime
    opens_at: AwareDatetime
    open: bool = Field(
        description="Whether its window had opened at the case's last activity (a status"
        " read between two activities is as of the first: compare `opens_at` with the time)."
    )


class CaseStatus(BaseModel):
    """The answer to the `status` query and to every update."""

    reference: str
    stage: Stage
    area: str
    consent_policy: ConsentPolicy
    closure_reason: ClosureReason | None
    due: dict[str, AwareDatetime]
    allowed_actions: list[str]
    plan_revision: int
    decisions: int
    pending_transfer: PendingTransferView | None = None
    post_exit_reviews: list[PostExitReviewWindow] = Field(
        default_factory=list,
        description="The post-exit reviews of the case's policy not yet held, earliest first;"
        " empty unless the case is in its post-exit reviews (or reassessed from them).",
    )
