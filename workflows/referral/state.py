"""The state of one case: what the workflow knows, carried across continue-as-new."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from safeguard.codes import ClosureReason, ConsentMethod, ConsentRoute, Role, Stage
from safeguard.personal import PERSONAL
from workflows.referral.actions import Intervention


class AlarmKind(StrEnum):
    """Every timer a case can hold; each fires once and raises an event or a transition."""

    ASSESSMENT_REMINDER = "assessment_reminder"
    ASSESSMENT_OVERDUE = "assessment_overdue"
    POLICE_REVIEW_DUE = "police_review_due"
    CONSENT_REMINDER = "consent_reminder"
    CONSENT_EXPIRY = "consent_expiry"
    CONSENT_REASSESSMENT_DUE = "consent_reassessment_due"
    SUPPORT_REVIEW_DUE = "support_review_due"
    SUPPORT_REVIEW_OVERDUE = "support_review_overdue"
    POST_EXIT_REVIEW_DUE = "post_exit_review_due"
    POST_EXIT_REVIEW_OVERDUE = "post_exit_review_overdue"
    RETENTION_EXPIRY = "retention_expiry"


class Alarm(BaseModel):
    """A moment at which the case must act by itself. Timers are data, so none is ever lost."""

    kind: AlarmKind
    at: AwareDatetime
    months: int | None = None

    @property
    def label(self) -> str:
        """A stable name for the query's due dates."""
        return f"{self.kind}_{self.months}m" if self.months else str(self.kind)


class DecisionRecord(BaseModel):
    """Who did what, when, and with which content."""

    action: str
    actor_id: str
    actor_role: Role
    at: AwareDatetime
    stage_before: Stage
    stage_after: Stage
    detail: dict[str, Any]


class PlanItem(BaseModel):
    """An intervention with the id it keeps across revisions."""

    item_id: UUID
    intervention: Intervention


class PlanRevision(BaseModel):
    """One agreed version of the support plan."""

    revision: int
    agreed_at: AwareDatetime
    items: list[PlanItem]


class PendingTransfer(BaseModel):
    """A transfer asked for and not yet answered: the case stays in its area until then."""

    to_area: str
    # Free text, as in the request (a closed case has no pending transfer left to erase).
    reason: Annotated[str, PERSONAL]
    requested_by: str
    requested_role: Role
    requested_at: AwareDatetime


class CaseState(BaseModel):
    """Everything the workflow decides on; mutated only by `transitions`."""

    stage: Stage = Stage.SUBMITTED
    area: str
    # Bumped by every transition, so waiting code notices changes that keep the stage.
    epoch: int = 0
    alarms: list[Alarm] = Field(default_factory=list)
    assessment_due_at: AwareDatetime | None = None
    consent_route: ConsentRoute | None = None
    consent_expires_at: AwareDatetime | None = None
    # How consent was asked (None in cases asked before it was kept): reminders go that way.
    consent_method: ConsentMethod | None = None
    consent_given: bool = False
    # When consent was last refused, withdrawn or left unanswered: the panel's reassessment
    # period runs from then (None in cases that were last refused before it was recorded).
    consent_not_given_at: AwareDatetime | None = None
    adopted: bool = False
    exited_at: AwareDatetime | None = None
    post_exit_reviews_done: list[int] = Field(default_factory=list)
    # Where a reassessment started during support or after exit returns if the police find no
    # further action: support goes on, or the post-exit reviews keep their dates.
    resume_stage: Stage | None = None
    closure_reason: ClosureReason | None = None
    retain_until: AwareDatetime | None = None
    plan: list[PlanRevision] = Field(default_factory=list)
    pending_transfer: PendingTransfer | None = None
    decisions: list[DecisionRecord] = Field(default_factory=list)
    # Events published so far, which numbers each event (`sequence`): read models compare the
    # last they applied with the last recorded. Counted again on replay, so a case running
    # since before it was kept numbers its next events after those of its run.
    events_published: int = 0

    def next_alarm(self) -> Alarm | None:
        """The earliest pending alarm."""
        return min(self.alarms, key=lambda alarm: alarm.at, default=None)

    def due_dates(self) -> dict[str, datetime]:
        """Pending alarms by label, for the status query."""
        return {alarm.label: alarm.at for alarm in sorted(self.alarms, key=lambda a: a.at)}
