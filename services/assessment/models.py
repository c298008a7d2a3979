"""Request and response bodies of the assessment API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from safeguard.codes import GatewayOutcome, Role, SignpostService, Stage
from workflows.referral.actions import Ident, Notes
from workflows.referral.chronology import ChronologyEntry
from workflows.referral.models import CaseStatus


class TaskKind(StrEnum):
    """What an officer has to do."""

    GATEWAY_ASSESSMENT = "gateway_assessment"
    REASSESSMENT = "reassessment"
    POLICE_REVIEW = "police_review"
    # The referrer sent new information: read it, and reassess if it calls for that.
    NEW_INFORMATION = "new_information"


class TaskStatus(StrEnum):
    """Open until the work is recorded (done) or the case moves on without it (cancelled)."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


TaskSort = Literal["due_at", "-due_at", "created_at", "-created_at", "reference", "-reference"]


class TaskRead(BaseModel):
    """One task in an officer's inbox; `version` is its ETag."""

    id: UUID
    referral_id: UUID
    reference: str
    kind: TaskKind
    status: TaskStatus
    stage: Stage
    area: str
    sector: str
    concern_type: str
    due_at: datetime | None
    overdue: bool
    reminded_at: datetime | None
    escalated_at: datetime | None
    assignee: str | None
    assigned_at: datetime | None
    created_at: datetime
    closed_at: datetime | None
    version: int


class TaskPage(BaseModel):
    """A page of tasks, with the total matching the filters."""

    items: list[TaskRead]
    total: int
    offset: int
    limit: int
    next_offset: int | None


class TaskAssign(BaseModel):
    """Give a task to an officer (needs `If-Match`)."""

    model_config = ConfigDict(extra="forbid")

    assignee: Ident


class GatewayAssessmentCreate(BaseModel):
    """The gateway assessment; `deconfliction` and `database_checks` are police-only."""

    model_config = ConfigDict(extra="forbid")

    outcome: GatewayOutcome
    reasons: Notes
    deconfliction: Literal["no_live_interest", "live_interest"]
    database_checks: Notes
    signposted_to: SignpostService | None = None


class PoliceReviewCreate(BaseModel):
    """A periodic review of a police-led case."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["continue", "close", "refer_to_channel"]
    notes: Notes


class InformationCreate(BaseModel):
    """New information: the case goes back to gateway assessment."""

    model_config = ConfigDict(extra="forbid")

    summary: Notes


class TransferCreate(BaseModel):
    """Ask another area to take the case; it moves when that area accepts."""

    model_config = ConfigDict(extra="forbid")

    to_area: Ident
    reason: Notes


class TransferDecline(BaseModel):
    """The receiving area will not take the case, and why (kept in the case, never in events)."""

    model_config = ConfigDict(extra="forbid")

    reason: Notes


class TransferWithdrawal(BaseModel):
    """The sending area no longer asks for the transfer."""

    model_config = ConfigDict(extra="forbid")

    reason: Notes | None = None


class TransferRead(BaseModel):
    """A transfer waiting for the receiving area (`to_area`) to accept or decline it."""

    referral_id: UUID
    reference: str
    stage: Stage
    from_area: str
    to_area: str
    requested_at: datetime | None


class CaseAreaUpdate(BaseModel):
    """Place a case that has no area yet in one of your own areas."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"area": "E08000003"}]}
    )

    area: Ident


class CaseSummary(BaseModel):
    """The case as the read model knows it."""

    referral_id: UUID
    reference: str
    area: str
    stage: Stage
    sector: str | None
    concern_type: str | None
    received_at: datetime | None
    outcome: GatewayOutcome | None
    closure_reason: str | None
    # The area a transfer of the case waits on, until it accepts or declines.
    transfer_to: str | None = None


class LinkedReferralView(BaseModel):
    """An earlier referral of the same person, and what became of it."""

    referral_id: UUID
    reference: str
    received_at: datetime | None
    stage: Stage | None = None
    outcome: GatewayOutcome | None = None
    closure_reason: str | None = None


class DecisionView(BaseModel):
    """A decision on the case; police-only detail appears only for Prevent officers."""

    action: str
    actor_id: str
    actor_role: Role
    at: datetime
    stage_before: Stage
    stage_after: Stage
    detail: dict[str, Any]


class CaseView(BaseModel):
    """Everything an officer needs to assess a case; `gaps` names what could not be had."""

    case: CaseSummary
    referral: dict[str, Any] | None
    linked_referrals: list[LinkedReferralView]
    status: CaseStatus | None = Field(
        description="The workflow's status of the case: from the read model (projected from the"
        " case's events) while it holds the newest event recorded for the case, else (or with"
        " `fresh`) from the workflow; null if neither has it."
    )
    decisions: list[DecisionView] | None
    chronology: list[ChronologyEntry]
    tasks: list[TaskRead]
    gaps: dict[str, str] = Field(
        default_factory=dict,
        description="What could not be had just now, and why: `referral` (intake), `decisions`"
        " (the workflow) or `status` (the workflow: `status` is then null, or the read model's,"
        " which may be behind the case).",
    )


class InboxMetrics(BaseModel):
    """Counts only, no case content: what operators may see."""

    open_tasks: int
    overdue: int
    escalated: int
    unassigned: int
    open_by_kind: dict[str, int]
    cases: int
    last_event_at: datetime | None
