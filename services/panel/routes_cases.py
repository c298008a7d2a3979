"""HTTP routes for cases: the work queue, the case view, casework, consent and decisions."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from safeguard.access_log import stated_purpose
from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import StaffDep
from safeguard.case_updates import TRANSFER_REQUEST_REFUSALS
from safeguard.codes import Role
from safeguard.fieldcrypt.setup import KeyringDep
from safeguard.intake_client import ReferralClient
from safeguard.web import PoolDep, TemporalDep
from services.panel import cases, casework, meetings
from services.panel.access import Chair, ConsentAsker, ConsentTaker, Monitor, Reader, Replier
from services.panel.cases import CASE_ENDED, PLAN_REFUSALS, act
from services.panel.consent_links import Acknowledged
from services.panel.factors import FACTORS
from services.panel.models import (
    AssessmentCreate,
    AssessmentRead,
    CaseMeeting,
    CaseView,
    ConsentAnswerCreate,
    ConsentRecordRead,
    ConsentRequestCreate,
    ConsentWithdrawalCreate,
    DecisionCreate,
    FactorRead,
    InformationCreate,
    InformationReplyCreate,
    InformationRequestCreate,
    InformationRequestRead,
    PanelMetrics,
    QueueKind,
    QueuePage,
    ReassessmentCreate,
    TransferCreate,
)
from workflows.referral import actions as a
from workflows.referral.models import CaseStatus
from workflows.referral.reading import FRESH
from workflows.referral.workflows import ReferralWorkflow

Purpose = Annotated[str, Depends(stated_purpose)]

queue_router = APIRouter(prefix="/v1/queue", tags=["queue"])
cases_router = APIRouter(prefix="/v1/cases", tags=["cases"])
requests_router = APIRouter(prefix="/v1/information-requests", tags=["casework"])
reference_router = APIRouter(prefix="/v1", tags=["reference"])


def _referrals(request: Request) -> ReferralClient:
    client: ReferralClient = request.app.state.referrals
    return client


ReferralsDep = Annotated[ReferralClient, Depends(_referrals)]


# The person or guardian reads nothing of the case, not even where their answer took it.
CONSENT_ANSWERED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Staff (chair, officer): the case's status after the step. A person or"
        ' guardian (a `consent:<reference>` token): `{"acknowledged": true}` and nothing else.'
    }
}


def _answered(principal: StaffPrincipal, status: CaseStatus) -> CaseStatus | Acknowledged:
    return Acknowledged() if principal.role is Role.PERSON_OR_GUARDIAN else status


def _body(model: Any) -> dict[str, Any]:
    detail: dict[str, Any] = model.model_dump(mode="json")
    return detail


@queue_router.get("")
async def get_queue(
    principal: Reader,
    purpose: Purpose,
    pool: PoolDep,
    kind: Annotated[list[QueueKind], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> QueuePage:
    """Cases awaiting consent, the panel, a reassessment or a review; soonest due first."""
    return await casework.queue(
        pool,
        principal=principal,
        kinds=kind,
        overdue=overdue,
        limit=limit,
        offset=offset,
        purpose=purpose,
    )


@reference_router.get("/factors")
async def list_factors(principal: StaffDep) -> list[FactorRead]:
    """The vulnerability assessment framework: 22 factors in 3 dimensions (no case data)."""
    return [
        FactorRead(factor=name, dimension=dimension, label=label)
        for name, (dimension, label) in FACTORS.items()
    ]


@reference_router.get("/metrics", tags=["metrics"])
async def get_metrics(principal: Monitor, pool: PoolDep) -> PanelMetrics:
    """Counts of waiting and overdue cases, panels and meetings; no case content."""
    return await casework.metrics(pool, principal=principal)


@cases_router.get("/{reference}")
async def get_case(
    reference: str,
    principal: Reader,
    purpose: Purpose,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
    referrals: ReferralsDep,
    fresh: Annotated[bool, Query(description=FRESH)] = False,
) -> CaseView:
    """The case: referral, status, decisions, chronology, consent, requests, assessments, plan."""
    return await casework.case_view(
        pool,
        keyring,
        temporal,
        referrals,
        principal=principal,
        reference=reference,
        purpose=purpose,
        fresh=fresh,
    )


@cases_router.post("/{reference}/information-requests", status_code=201, responses=CASE_ENDED)
async def request_information(
    reference: str,
    body: InformationRequestCreate,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
) -> InformationRequestRead:
    """Ask a partner agency for information about the case."""
    return await casework.request_information(
        pool, keyring, principal=principal, reference=reference, body=body
    )


@cases_router.get("/{reference}/information-requests")
async def list_information_requests(
    reference: str, principal: Reader, purpose: Purpose, pool: PoolDep, keyring: KeyringDep
) -> list[InformationRequestRead]:
    """The case's information requests and their replies."""
    return await casework.information_requests(
        pool, keyring, principal=principal, reference=reference, purpose=purpose
    )


@requests_router.post("/{request_id}/reply", responses=CASE_ENDED)
async def reply_information(
    request_id: UUID,
    body: InformationReplyCreate,
    principal: Replier,
    pool: PoolDep,
    keyring: KeyringDep,
) -> InformationRequestRead:
    """The agency's reply (a panel member answers only for their own agency)."""
    return await casework.reply_information(
        pool, keyring, principal=principal, request_id=request_id, reply=body.reply
    )


@cases_router.post("/{reference}/vulnerability-assessments", status_code=201, responses=CASE_ENDED)
async def assess(
    reference: str, body: AssessmentCreate, principal: Chair, pool: PoolDep, keyring: KeyringDep
) -> AssessmentRead:
    """A vulnerability assessment: every factor rated, with notes."""
    return await casework.assess(pool, keyring, principal=principal, reference=reference, body=body)


@cases_router.get("/{reference}/vulnerability-assessments")
async def list_assessments(
    reference: str, principal: Reader, purpose: Purpose, pool: PoolDep, keyring: KeyringDep
) -> list[AssessmentRead]:
    """The case's vulnerability assessments, by dimension."""
    return await casework.assessments(
        pool, keyring, principal=principal, reference=reference, purpose=purpose
    )


@cases_router.get("/{reference}/meetings")
async def list_case_meetings(
    reference: str, principal: Reader, purpose: Purpose, pool: PoolDep
) -> list[CaseMeeting]:
    """The meetings with the case on their agenda, earliest first: where a decision comes from."""
    return await casework.case_meetings(
        pool, principal=principal, reference=reference, purpose=purpose
    )


@cases_router.get("/{reference}/consent")
async def list_consent(
    reference: str, principal: Reader, purpose: Purpose, pool: PoolDep, keyring: KeyringDep
) -> list[ConsentRecordRead]:
    """Consent records: requested, given, refused, withdrawn; by whom, when, how, scope."""
    return await casework.consent_records(
        pool, keyring, principal=principal, reference=reference, purpose=purpose
    )


@cases_router.post("/{reference}/consent/request")
async def request_consent(
    reference: str,
    body: ConsentRequestCreate,
    principal: ConsentAsker,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Ask the person (18+), a parent or guardian, or record the best-interests route."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.request_consent,
        build=lambda actor: a.ConsentRequestInput(actor=actor, **body.model_dump()),
        detail=_body(body),
    )


@cases_router.post("/{reference}/consent/answer", responses=CONSENT_ANSWERED)
async def record_consent(
    reference: str,
    body: ConsentAnswerCreate,
    principal: ConsentTaker,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus | Acknowledged:
    """Consent given (with its scope) or refused, by the person or guardian or on their behalf."""
    status = await cases.record_consent(
        pool, temporal, keyring=keyring, principal=principal, reference=reference, body=body
    )
    return _answered(principal, status)


@cases_router.post("/{reference}/consent/withdrawal", responses=CONSENT_ANSWERED)
async def withdraw_consent(
    reference: str,
    body: ConsentWithdrawalCreate,
    principal: ConsentTaker,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus | Acknowledged:
    """Consent withdrawn: support stops and the panel reassesses later."""
    status = await cases.withdraw_consent(
        pool, temporal, keyring=keyring, principal=principal, reference=reference, body=body
    )
    return _answered(principal, status)


@cases_router.post("/{reference}/consent/reassessment")
async def reassess_after_refusal(
    reference: str,
    body: ReassessmentCreate,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Without consent: ask again, signpost or close."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.reassess_after_refusal,
        build=lambda actor: a.RefusalReassessmentInput(actor=actor, **body.model_dump()),
        detail=_body(body),
    )


@cases_router.post("/{reference}/decision", responses=PLAN_REFUSALS)
async def record_panel_decision(
    reference: str,
    body: DecisionCreate,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """The panel's decision at a meeting; attendees and conflicts come from its record."""
    attendees, conflicts = await meetings.decision_context(
        pool, keyring, principal=principal, meeting_id=body.meeting_id, reference=reference
    )
    # The meeting goes into the history with the decision: an auditor sees where it was taken.
    fields = body.model_dump(exclude={"plan"})

    def build(actor: a.Actor) -> a.ActionInput:
        plan = body.plan and a.SupportPlanInput(actor=actor, **body.plan.model_dump())
        return a.PanelDecisionInput(
            actor=actor, attendees=attendees, conflicts=conflicts, plan=plan, **fields
        )

    detail = _body(body) | {
        "attendees": [x.model_dump() for x in attendees],
        "conflicts": [x.model_dump() for x in conflicts],
    }
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.record_panel_decision,
        build=build,
        detail=detail,
        meeting_id=body.meeting_id,
        plan=("plan.interventions", body.plan.interventions) if body.plan else None,
    )


@cases_router.post("/{reference}/information")
async def add_information(
    reference: str,
    body: InformationCreate,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """New information: the police reassess the case."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.add_information,
        build=lambda actor: a.NewInformationInput(actor=actor, summary=body.summary),
        detail=_body(body),
    )


@cases_router.post("/{reference}/transfer", responses=TRANSFER_REQUEST_REFUSALS)
async def transfer_case(
    reference: str,
    body: TransferCreate,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Ask another area to take the case, with its history: it stays in your area, listed in
    theirs (`GET /v1/transfers`), until one of their chairs or officers accepts it."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.transfer_case,
        build=lambda actor: a.TransferInput(actor=actor, **body.model_dump()),
        detail=_body(body),
    )
