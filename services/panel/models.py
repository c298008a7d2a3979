"""Request and response bodies of the panel API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from safeguard.codes import (
    ConsentRoute,
    DecisionBasis,
    ExitReason,
    InterventionType,
    RefusalReassessment,
    ReviewDecision,
    Role,
    SignpostService,
    Stage,
)
from safeguard.personal import NotPersonal
from services.panel.factors import FACTORS, Dimension, Rating
from workflows.referral.actions import ExitReasonInput, Ident, Intervention, Notes
from workflows.referral.chronology import ChronologyEntry
from workflows.referral.models import CaseStatus

Name = Annotated[str, Field(min_length=1, max_length=200), NotPersonal("a panel's name")]
Agency = Annotated[
    str, Field(min_length=1, max_length=100), NotPersonal("an agency's name, not a person's")
]
Reference = Annotated[str, Field(pattern=r"^PRV-\d{4}-\d{6}$")]


class Body(BaseModel):
    """Request bodies reject unknown fields, so nothing submitted is silently dropped."""

    model_config = ConfigDict(extra="forbid")


# --- panels and meetings --------------------------------------------------------------------


class MemberCreate(Body):
    """A panel member: their identity provider subject and the agency they represent."""

    subject: Ident
    agency: Agency


class PanelCreate(Body):
    """A Channel panel of one area."""

    area: Ident
    name: Name
    members: Annotated[list[MemberCreate], Field(max_length=60)] = []


class MemberPut(Body):
    """The agency a member represents on the panel."""

    agency: Agency


class MemberRead(BaseModel):
    """A member of a panel."""

    subject: str
    agency: str
    added_at: dt.datetime


class PanelRead(BaseModel):
    """A panel and its members."""

    id: UUID
    area: str
    name: str
    created_at: dt.datetime
    members: list[MemberRead]


class MeetingCreate(Body):
    """A meeting and the cases on its agenda."""

    scheduled_for: AwareDatetime
    agenda: Annotated[list[Reference], Field(max_length=100)] = []


class AgendaAdd(Body):
    """Put a case on a meeting's agenda."""

    reference: Reference


class AttendeeIn(Body):
    """Someone at the meeting and the agency they represent."""

    id: Ident
    agency: Agency


class ConflictIn(Body):
    """A declared conflict of interest, for one case on the agenda or the whole meeting."""

    attendee_id: Ident
    reference: Reference | None = None
    description: Notes


class AttendanceCreate(Body):
    """Who attended and which conflicts they declared."""

    attendees: Annotated[list[AttendeeIn], Field(min_length=1, max_length=40)]
    conflicts: Annotated[list[ConflictIn], Field(max_length=40)] = []


class MeetingListed(BaseModel):
    """A meeting in a panel's list: when, how many cases, and what is done (no case names)."""

    id: UUID
    panel_id: UUID
    scheduled_for: dt.datetime
    agenda_size: int
    agenda_published_at: dt.datetime | None
    attendance_recorded_at: dt.datetime | None


class AgendaItemRead(BaseModel):
    """A case on an agenda."""

    referral_id: UUID
    reference: str
    stage: Stage
    position: int


class ConflictRead(BaseModel):
    """A declared conflict."""

    attendee_id: str
    reference: str | None
    description: str | None


class MeetingRead(BaseModel):
    """A meeting with its agenda, attendees and declared conflicts."""

    id: UUID
    panel_id: UUID
    area: str
    scheduled_for: dt.datetime
    agenda: list[AgendaItemRead]
    attendees: list[AttendeeIn]
    conflicts: list[ConflictRead]
    attendance_recorded_at: dt.datetime | None
    agenda_published_at: dt.datetime | None = None


# --- information requests and vulnerability assessments -------------------------------------


class InformationRequestCreate(Body):
    """Ask a partner agency for what it knows (it must co-operate, within the law)."""

    agency: Agency
    question: Notes
    due_by: dt.date | None = None


class InformationReplyCreate(Body):
    """A partner agency's reply."""

    reply: Notes


class InformationRequestRead(BaseModel):
    """A request and, once given, its reply."""

    id: UUID
    referral_id: UUID
    agency: str
    question: str | None
    due_by: dt.date | None
    requested_by: str
    requested_at: dt.datetime
    reply: str | None
    replied_by: str | None
    replied_at: dt.datetime | None


class FactorIn(Body):
    """One factor's rating and the evidence for it."""

    rating: Rating
    notes: Notes | None = None


class AssessmentCreate(Body):
    """A vulnerability assessment: every one of the 22 factors rated."""

    meeting_id: UUID | None = None
    summary: Notes | None = None
    # The OpenAPI names the 22 factors, so a body it calls valid is one this model accepts.
    factors: Annotated[
        dict[str, FactorIn],
        Field(
            json_schema_extra={
                "required": sorted(FACTORS),
                "propertyNames": {"enum": sorted(FACTORS)},
            }
        ),
    ]

    @model_validator(mode="after")
    def _every_factor_once(self) -> AssessmentCreate:
        missing = sorted(FACTORS.keys() - self.factors.keys())
        unknown = sorted(self.factors.keys() - FACTORS.keys())
        if missing or unknown:
            raise ValueError(
                f"rate every factor exactly once (missing {missing}, unknown {unknown})"
            )
        return self


class FactorRead(BaseModel):
    """A factor of the framework."""

    factor: str
    dimension: Dimension
    label: str


class FactorRatingRead(FactorRead):
    """A factor as rated in one assessment."""

    rating: Rating
    notes: str | None


class AssessmentRead(BaseModel):
    """A vulnerability assessment, by dimension."""

    id: UUID
    referral_id: UUID
    meeting_id: UUID | None
    summary: str | None
    assessed_by: str
    assessed_at: dt.datetime
    dimensions: dict[Dimension, list[FactorRatingRead]]


# --- steps on the case (workflow updates) ---------------------------------------------------


class ConsentRequestCreate(Body):
    """Ask the person (18+), a parent or guardian, or record the best-interests route."""

    route: ConsentRoute
    method: Literal["in_person", "letter", "email", "phone"]
    best_interests_reason: Notes | None = None


AnsweredBy = Literal["person", "parent_or_guardian"]


class ConsentAnswerCreate(Body):
    """The answer to a consent request: given (with its scope) or refused."""

    decision: Literal["given", "refused"]
    scope: Notes | None = None
    # How the answer came and who gave it (in the panel's record and the case's history; the
    # workflow decides on the answer alone). Who is a relation, never a name: neither record
    # holds the family's data.
    method: Literal["in_person", "letter", "email", "phone", "portal"] | None = None
    answered_by: AnsweredBy | None = None


class ConsentWithdrawalCreate(Body):
    """Consent withdrawn: support stops."""

    notes: Notes | None = None


class ReassessmentPeriodCreate(Body):
    """When the panel reassesses a case without consent: this many days after consent was not
    given (until it chooses, the deployment's default period applies)."""

    days: int = Field(ge=1, le=730, examples=[90])


class ChannelReferralCreate(Body):
    """The local authority's referral of a case in gateway assessment to Channel."""

    reasons: Notes


class ReassessmentCreate(Body):
    """The panel's reassessment of a case without consent."""

    decision: RefusalReassessment
    signposted_to: SignpostService | None = None
    notes: Notes


class PlanCreate(Body):
    """A support plan: interventions (what, by whom, how often, when)."""

    interventions: Annotated[list[Intervention], Field(min_length=1, max_length=30)]
    consent_arrangements: Notes | None = None


class DecisionCreate(Body):
    """The panel's decision at a meeting; attendees and conflicts come from its record."""

    meeting_id: UUID = Field(
        description="A meeting that has taken place (its time has passed), with the case on its"
        " agenda and its attendance recorded."
    )
    adopted: bool
    basis: DecisionBasis
    votes_for: int = Field(ge=0)
    votes_against: int = Field(ge=0)
    reasons: Notes
    plan: PlanCreate | None = None
    health_or_social_care_considered: bool = False


class SupportReviewCreate(Body):
    """A review of the active plan: continue, revise (with a plan) or exit (with a reason)."""

    decision: ReviewDecision
    notes: Notes
    plan: PlanCreate | None = Field(
        None, description="The revised plan: required for `revise`, refused otherwise (422)."
    )
    exit_reason: ExitReasonInput | None = Field(
        None,
        description="Why support ends: required for `exit` and refused otherwise (422), with"
        " `notes` required for the code `other`. The code goes into the case's record and its"
        " `case.exited` event; the notes stay with the panel's record of the step.",
    )


class PostExitReviewCreate(Body):
    """A post-exit review; concerns re-open the case, the last clean one closes it."""

    months: int = Field(
        description="Which review: months after exit, one of the case policy's"
        " `post_exit_review_months` (6 and 12 by default). Accepted from"
        " `post_exit_review_window_days` (28 by default) before it falls due."
    )
    concerns: bool
    notes: Notes


class InformationCreate(Body):
    """New information: the police reassess the case."""

    summary: Notes


class TransferCreate(Body):
    """Ask another area to take the case, history and all; it moves when that area accepts."""

    to_area: Ident
    reason: Notes


class TransferDecline(Body):
    """The receiving area will not take the case, and why (kept in the case, never in events)."""

    reason: Notes


class TransferWithdrawal(Body):
    """The sending area no longer asks for the transfer."""

    reason: Notes | None = None


class TransferRead(BaseModel):
    """A transfer waiting for the receiving area (`to_area`) to accept or decline it."""

    referral_id: UUID
    reference: str
    stage: Stage
    from_area: str
    to_area: str
    requested_at: dt.datetime | None


# --- reading cases --------------------------------------------------------------------------


class ConsentRecordRead(BaseModel):
    """One consent step: requested, given, refused or withdrawn; by whom, when, how."""

    event: Literal["requested", "given", "refused", "withdrawn"]
    route: ConsentRoute | None
    method: str | None
    answered_by: AnsweredBy | None = None
    scope: str | None
    best_interests_reason: str | None
    notes: str | None
    recorded_by: str
    recorded_role: Role
    at: dt.datetime


class PlanItemRead(BaseModel):
    """One intervention of a plan revision, with the id the workflow gave it."""

    item_id: UUID
    referral_id: UUID
    reference: str
    revision: int
    position: int
    intervention: InterventionType
    provider_id: str
    frequency: str | None
    start: dt.date | None
    end: dt.date | None
    current: bool


class PlanRevisionRead(BaseModel):
    """One agreed revision of a support plan."""

    revision: int
    agreed_at: dt.datetime | None
    agreed_by: str | None
    consent_arrangements: str | None
    items: list[PlanItemRead]


class ContactCreate(Body):
    """A provider's contact with the person, or a missed session."""

    held_on: dt.date
    kind: Literal["session", "contact", "missed"]
    attended: bool
    notes: Notes | None = None


class ContactRead(BaseModel):
    """A recorded contact."""

    id: UUID
    item_id: UUID
    held_on: dt.date
    kind: str
    attended: bool
    notes: str | None
    recorded_by: str
    recorded_at: dt.datetime


class ProviderItemRead(PlanItemRead):
    """A plan item as its provider sees it: their contacts with it."""

    stage: Stage
    contacts: list[ContactRead]


class PostExitReviewDate(BaseModel):
    """A post-exit review: months after exit and its due date."""

    months: int
    due_at: dt.datetime


class CaseSummary(BaseModel):
    """The case as the read model knows it."""

    referral_id: UUID
    reference: str
    area: str
    stage: Stage
    received_at: dt.datetime | None
    consent_route: ConsentRoute | None
    adopted: bool
    plan_revision: int
    due_kind: str | None
    due_at: dt.datetime | None
    due_months: int | None
    escalated_at: dt.datetime | None
    # The area a transfer of the case waits on, until it accepts or declines.
    transfer_to: str | None = None
    exited_at: dt.datetime | None
    exit_reason: ExitReason | Literal["unknown"] | None = Field(
        None,
        description="Why support ended: None before exit; `unknown` for an exit recorded"
        " before reasons were.",
    )
    review_6_months_at: dt.datetime | None = Field(
        description="The 6-month post-exit review's due date, if the case's policy has one."
    )
    review_12_months_at: dt.datetime | None = Field(
        description="The 12-month post-exit review's due date, if the case's policy has one."
    )
    post_exit_reviews: list[PostExitReviewDate] = Field(
        default_factory=list,
        description="Every post-exit review the case's policy sets, earliest first.",
    )
    closure_reason: str | None

    @field_validator("post_exit_reviews", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @model_validator(mode="before")
    @classmethod
    def _unrecorded_exit_reason(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("exited_at") and not data.get("exit_reason"):
            return data | {"exit_reason": "unknown"}
        return data


QueueKind = Literal["consent", "consent_reassessment", "panel", "support_review", "post_exit"]


class QueueItem(BaseModel):
    """A case awaiting the panel: what it waits for, by when, and whether it is overdue."""

    referral_id: UUID
    reference: str
    area: str
    stage: Stage
    kind: QueueKind
    due_kind: str | None
    due_at: dt.datetime | None
    due_months: int | None
    escalated_at: dt.datetime | None
    overdue: bool


class QueuePage(BaseModel):
    """A page of the work queue."""

    items: list[QueueItem]
    total: int
    offset: int
    limit: int
    next_offset: int | None


class DecisionView(BaseModel):
    """A decision on the case; police-only detail never appears here."""

    action: str
    actor_id: str
    actor_role: Role
    at: dt.datetime
    stage_before: Stage
    stage_after: Stage
    detail: dict[str, Any]


class CaseMeeting(BaseModel):
    """A meeting with the case on its agenda: the meetings its decision may come from."""

    id: UUID
    panel_id: UUID
    scheduled_for: dt.datetime
    agenda_published_at: dt.datetime | None
    attendance_recorded_at: dt.datetime | None
    attendees: int


class CaseView(BaseModel):
    """A case for the panel; `gaps` names what could not be had just now."""

    case: CaseSummary
    referral: dict[str, Any] | None
    status: CaseStatus | None = Field(
        description="The workflow's status of the case: from the read model (projected from the"
        " case's events) while it holds the newest event recorded for the case, else (or with"
        " `fresh`) from the workflow; null if neither has it."
    )
    decisions: list[DecisionView] | None
    chronology: list[ChronologyEntry]
    consent: list[ConsentRecordRead]
    information_requests: list[InformationRequestRead]
    assessments: list[AssessmentRead]
    plan: list[PlanRevisionRead]
    meetings: list[CaseMeeting] = Field(default_factory=list)
    gaps: dict[str, str] = Field(
        default_factory=dict,
        description="What could not be had just now, and why: `referral` (intake), `decisions`"
        " (the workflow) or `status` (the workflow: `status` is then null, or the read model's,"
        " which may be behind the case).",
    )


class PanelMetrics(BaseModel):
    """Counts only, no case content: what operators may see."""

    cases: int
    waiting_by_kind: dict[str, int]
    overdue: int
    panels: int
    meetings: int
    last_event_at: dt.datetime | None
