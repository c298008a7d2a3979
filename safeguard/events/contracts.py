"""One Pydantic model per event type. Events carry ids, codes and dates, never personal data.

Adding an optional field is compatible; removing or retyping one needs a new event type or a
new `schema_version`, which the contract test (tests/events/test_contracts.py) enforces.
Consumers ignore fields they do not know, so producers may add optional fields first.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from safeguard.codes import (
    ClosureReason,
    ConsentDecision,
    ConsentMethod,
    ConsentPolicy,
    ConsentRoute,
    DecisionBasis,
    ExitReason,
    GatewayOutcome,
    InterventionType,
    RefusalReassessment,
    ReviewDecision,
    Role,
    SignpostService,
    Stage,
)
from safeguard.events.envelope import EventEnvelope, make_envelope


class TransferStanding(BaseModel):
    """A transfer waiting for the receiving area: where to, since when, asked by which role."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    to_area: str
    requested_at: AwareDatetime
    requested_role: Role


class ReviewWindowStanding(BaseModel):
    """A post-exit review not yet held: when it falls due and from when it may be recorded."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    months: int
    due_at: AwareDatetime
    opens_at: AwareDatetime
    open: bool


class CaseStanding(BaseModel):
    """Where the case stood once the step that raised the event was done: the workflow's
    `status` answer without the reference (codes, counts and dates; never personal data), so
    a read model can show a case's stage, due dates and next actions without asking it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: Stage
    area: str
    consent_policy: ConsentPolicy
    closure_reason: ClosureReason | None = None
    due: dict[str, AwareDatetime] = {}
    allowed_actions: list[str] = []
    plan_revision: int = 0
    decisions: int = 0
    pending_transfer: TransferStanding | None = None
    post_exit_reviews: list[ReviewWindowStanding] = []


class DomainEvent(BaseModel):
    """Base of every event payload: which case, where it now stands, in which area.

    Events the case workflow raises also carry `sequence`, their place among the case's
    events (1, 2, ... in publishing order), and `standing`, where the case stood after the
    step; both are None in events of earlier releases and in notices other services raise.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    # False for notices about a case that do not move it (its `stage` is as the sender last
    # knew it): read models must not advance the case on them.
    moves_case: ClassVar[bool] = True

    referral_id: UUID
    reference: str
    stage: Stage
    area: str
    sequence: int | None = None
    standing: CaseStanding | None = None

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


class ActedEvent(DomainEvent):
    """An event caused by a person: their role is recorded (their identity stays in the case)."""

    actor_role: Role


class ReferralSubmitted(DomainEvent):
    """A referral was accepted and gateway assessment began."""

    event_type: ClassVar[str] = "referral.submitted"

    sector: str
    concern_type: str
    assessment_due_at: AwareDatetime | None = None
    linked_referral_ids: list[UUID] = []


class AssessmentReminderDue(DomainEvent):
    """The gateway assessment is nearly due."""

    event_type: ClassVar[str] = "assessment.reminder_due"

    due_at: AwareDatetime


class AssessmentOverdue(DomainEvent):
    """The gateway assessment passed its due date: escalate."""

    event_type: ClassVar[str] = "assessment.overdue"

    due_at: AwareDatetime


class GatewayAssessmentRecorded(ActedEvent):
    """The gateway's outcome: the police's assessment, or the local authority's referral to
    Channel (`actor_role` channel_chair, outcome REFERRED_TO_CHANNEL; possible since 2019)."""

    event_type: ClassVar[str] = "assessment.recorded"

    outcome: GatewayOutcome
    signposted_to: SignpostService | None = None


class ReassessmentStarted(ActedEvent):
    """New information (or a consent refusal) sent the case back to gateway assessment."""

    event_type: ClassVar[str] = "assessment.reassessment_started"

    assessment_due_at: AwareDatetime


class PoliceReviewDue(DomainEvent):
    """A police-led case is due its periodic review."""

    event_type: ClassVar[str] = "police_review.due"

    due_at: AwareDatetime


class PoliceReviewRecorded(ActedEvent):
    """A police-led case was reviewed."""

    event_type: ClassVar[str] = "police_review.recorded"

    next_review_at: AwareDatetime | None = None


class ConsentRequested(ActedEvent):
    """Consent was asked of the person, a parent or guardian, or via best interests."""

    event_type: ClassVar[str] = "consent.requested"

    route: ConsentRoute
    expires_at: AwareDatetime
    # How it was asked, so the written request goes the same way (None: before it was sent).
    method: ConsentMethod | None = None


class ConsentReminderDue(DomainEvent):
    """No answer yet to a consent request."""

    event_type: ClassVar[str] = "consent.reminder_due"

    route: ConsentRoute
    expires_at: AwareDatetime
    method: ConsentMethod | None = None


class ConsentRecorded(DomainEvent):
    """Consent was given, refused or withdrawn, or the request expired unanswered."""

    event_type: ClassVar[str] = "consent.recorded"

    decision: ConsentDecision
    route: ConsentRoute | None = None
    actor_role: Role | None = None
    reassessment_due_at: AwareDatetime | None = None


class ConsentReassessmentDue(DomainEvent):
    """The panel must reassess a case whose consent was not given."""

    event_type: ClassVar[str] = "consent.reassessment_due"


class ConsentReassessmentScheduled(ActedEvent):
    """The panel chose when it reassesses a case without consent (`days` after consent was not
    given), replacing the deployment's default period."""

    event_type: ClassVar[str] = "consent.reassessment_scheduled"

    days: int
    reassessment_due_at: AwareDatetime


class ConsentReassessed(ActedEvent):
    """The panel reassessed a case without consent: ask again, signpost or close."""

    event_type: ClassVar[str] = "consent.reassessed"

    decision: RefusalReassessment


class PanelDecisionRecorded(ActedEvent):
    """The Channel panel decided whether to adopt the case."""

    event_type: ClassVar[str] = "panel.decision_recorded"

    adopted: bool
    basis: DecisionBasis
    attendee_count: int
    conflicts_declared: int


class MeetingScheduled(ActedEvent):
    """A Channel panel meeting was scheduled with this case on its agenda (one event per case)."""

    event_type: ClassVar[str] = "panel.meeting_scheduled"
    moves_case: ClassVar[bool] = False

    meeting_id: UUID
    panel_id: UUID
    meeting_at: AwareDatetime


class AgendaPublished(ActedEvent):
    """A meeting's agenda was published to the panel: this case is on it (one event per case)."""

    event_type: ClassVar[str] = "panel.agenda_published"
    moves_case: ClassVar[bool] = False

    meeting_id: UUID
    panel_id: UUID
    meeting_at: AwareDatetime


class PlanItem(BaseModel):
    """One intervention of a support plan, by id and codes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: UUID
    intervention: InterventionType
    provider_id: str


class SupportPlanRevised(ActedEvent):
    """A support plan was agreed or revised."""

    event_type: ClassVar[str] = "support_plan.revised"

    revision: int
    items: list[PlanItem]


class SupportReviewDue(DomainEvent):
    """An active support plan is due its review."""

    event_type: ClassVar[str] = "support_review.due"

    due_at: AwareDatetime


class SupportReviewOverdue(DomainEvent):
    """A support review is overdue: escalate (`due_at`: when it was due)."""

    event_type: ClassVar[str] = "support_review.overdue"

    due_at: AwareDatetime


class SupportReviewRecorded(ActedEvent):
    """The panel reviewed an active support plan."""

    event_type: ClassVar[str] = "support_review.recorded"

    decision: ReviewDecision
    next_review_at: AwareDatetime | None = None


class ReviewDate(BaseModel):
    """A post-exit review: how many months after exit, and when it falls due."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    months: int
    due_at: AwareDatetime


class CaseExited(ActedEvent):
    """Support ended; post-exit reviews are scheduled.

    `reviews` lists every review the case's policy sets; events from before it was added carry
    only the 6- and 12-month fields, which are still filled for consumers that read them alone
    (left empty when the policy has no review at that month). `exit_reason` is None in events
    from before exits had a coded reason.
    """

    event_type: ClassVar[str] = "case.exited"

    exited_at: AwareDatetime
    review_6_months_at: AwareDatetime | None = None
    review_12_months_at: AwareDatetime | None = None
    reviews: list[ReviewDate] | None = None
    exit_reason: ExitReason | None = None

    def review_dates(self) -> list[ReviewDate]:
        """Every scheduled review, from `reviews` or (older events) the two fixed fields."""
        if self.reviews is not None:
            return list(self.reviews)
        fixed = ((6, self.review_6_months_at), (12, self.review_12_months_at))
        return [ReviewDate(months=m, due_at=at) for m, at in fixed if at is not None]


class PostExitReviewDue(DomainEvent):
    """A post-exit review is due (`months` after exit)."""

    event_type: ClassVar[str] = "post_exit_review.due"

    months: int
    due_at: AwareDatetime


class PostExitReviewOverdue(DomainEvent):
    """A post-exit review is overdue: escalate (`due_at`: when it was due)."""

    event_type: ClassVar[str] = "post_exit_review.overdue"

    months: int
    due_at: AwareDatetime


class PostExitReviewRecorded(ActedEvent):
    """A post-exit review was held."""

    event_type: ClassVar[str] = "post_exit_review.recorded"

    months: int
    reopened: bool
    # The review due next, if the case still waits for one (absent from older events).
    next_months: int | None = None
    next_due_at: AwareDatetime | None = None


class CaseReopened(ActedEvent):
    """Concerns re-opened a case."""

    event_type: ClassVar[str] = "case.reopened"


class CaseTransferRequested(ActedEvent):
    """A transfer to another area (`to_area`) was asked for; the case stays in its `area` until
    the receiving area accepts. Its reason is free text, so it stays in the case."""

    event_type: ClassVar[str] = "case.transfer_requested"

    to_area: str


class CaseTransferDeclined(ActedEvent):
    """The receiving area (`to_area`) declined the transfer; the case stays in its `area`."""

    event_type: ClassVar[str] = "case.transfer_declined"

    to_area: str


class CaseTransferWithdrawn(ActedEvent):
    """The sending area withdrew its request to transfer the case to `to_area`."""

    event_type: ClassVar[str] = "case.transfer_withdrawn"

    to_area: str


class CaseTransferred(ActedEvent):
    """The case moved to another local authority or police area, with its history (since
    transfers wait for acceptance, when the receiving area accepted: `actor_role` is theirs)."""

    event_type: ClassVar[str] = "case.transferred"

    from_area: str
    to_area: str


class CaseAreaSet(ActedEvent):
    """A case no area held yet was placed in one (its `area`): triage, not a transfer."""

    event_type: ClassVar[str] = "case.area_set"


class CaseClosed(DomainEvent):
    """The case closed; its retention period began."""

    event_type: ClassVar[str] = "case.closed"

    reason: ClosureReason
    retain_until: AwareDatetime


class CaseRedacted(DomainEvent):
    """Retention ended: every holder of the case's personal data must erase it now."""

    event_type: ClassVar[str] = "case.redacted"


class InformationReceived(DomainEvent):
    """The referring partner sent new information about its referral (intake's
    `POST /v1/referrals/{reference}/information`): the officers review it, and may reassess.

    A notice from intake, which does not move the case: `stage` is SUBMITTED, or CLOSED once
    intake knows the case closed, and `area` the case's area as intake last heard it. The text
    and any documents stay in intake and the attachment store; this carries ids and counts.
    """

    event_type: ClassVar[str] = "referral.information_received"
    moves_case: ClassVar[bool] = False

    information_id: UUID
    attachments: int = 0


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    model.event_type: model
    for model in (
        ReferralSubmitted,
        AssessmentReminderDue,
        AssessmentOverdue,
        GatewayAssessmentRecorded,
        ReassessmentStarted,
        PoliceReviewDue,
        PoliceReviewRecorded,
        ConsentRequested,
        ConsentReminderDue,
        ConsentRecorded,
        ConsentReassessmentDue,
        ConsentReassessmentScheduled,
        ConsentReassessed,
        PanelDecisionRecorded,
        MeetingScheduled,
        AgendaPublished,
        SupportPlanRevised,
        SupportReviewDue,
        SupportReviewOverdue,
        SupportReviewRecorded,
        CaseExited,
        PostExitReviewDue,
        PostExitReviewOverdue,
        PostExitReviewRecorded,
        CaseReopened,
        CaseTransferRequested,
        CaseTransferDeclined,
        CaseTransferWithdrawn,
        CaseTransferred,
        CaseAreaSet,
        CaseClosed,
        CaseRedacted,
        InformationReceived,
    )
}


class UnknownEventType(ValueError):
    """The envelope names a type this code does not know."""


def parse_event(envelope: EventEnvelope) -> DomainEvent:
    """Validate an envelope's data against the model of its type."""
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise UnknownEventType(envelope.type)
    return model.model_validate(envelope.data)
