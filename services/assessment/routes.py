"""HTTP routes of the assessment service: parse, authorise, delegate."""

from __future__ import annotations

import re
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from safeguard.access_log import stated_purpose
from safeguard.case_updates import TRANSFER_ANSWER_REFUSALS, TRANSFER_WITHDRAW_REFUSALS
from safeguard.codes import Stage
from safeguard.errors import ProblemError
from safeguard.errors import documented_problem as problem
from safeguard.intake_client import ReferralClient
from safeguard.openapi import may_answer
from safeguard.timestamps import IsoDateTime
from safeguard.web import PoolDep, TemporalDep
from services.assessment import cases, service, store, transfers, triage
from services.assessment.access import Monitor, Officer, Reader, requested_areas, triage_areas
from services.assessment.models import (
    CaseAreaUpdate,
    CaseView,
    GatewayAssessmentCreate,
    InboxMetrics,
    InformationCreate,
    PoliceReviewCreate,
    TaskAssign,
    TaskKind,
    TaskPage,
    TaskRead,
    TaskSort,
    TaskStatus,
    TransferCreate,
    TransferDecline,
    TransferRead,
    TransferWithdrawal,
)
from services.assessment.openapi import (
    SET_AREA_RESPONSES,
    TRANSFER_LIST_RESPONSES,
    TRANSFER_REQUEST_RESPONSES,
    TRIAGE_RESPONSES,
)
from workflows.referral import actions as a
from workflows.referral.models import CaseStatus
from workflows.referral.reading import FRESH
from workflows.referral.workflows import ReferralWorkflow

Purpose = Annotated[str, Depends(stated_purpose)]

tasks_router = APIRouter(prefix="/v1/tasks", tags=["tasks"])
cases_router = APIRouter(prefix="/v1/cases", tags=["cases"])
triage_router = APIRouter(prefix="/v1/triage", tags=["triage"])
metrics_router = APIRouter(prefix="/v1/metrics", tags=["metrics"])
transfers_router = APIRouter(prefix="/v1/transfers", tags=["transfers"])

_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


# The pattern is documentation: the dependency checks it, answering 400 rather than 422.
IfMatch = Annotated[
    str | None,
    Header(
        description='The task\'s ETag (its version), e.g. "3".',
        json_schema_extra={"pattern": '^ *(W/)?"?[0-9]+"? *$'},
    ),
]
_IF_MATCH_PROBLEMS = {
    400: problem('`If-Match` is not a task\'s ETag (e.g. "3").'),
    412: problem("`If-Match` names a version the task has moved on from."),
}


def _version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    found = _ETAG.match(if_match.strip())
    if found is None:
        raise ProblemError(400, "Malformed If-Match", 'Send the task\'s ETag, e.g. "3".')
    return int(found.group(1))


# Dependencies are coroutines: FastAPI runs a plain `def` in a worker thread.
@may_answer(_IF_MATCH_PROBLEMS)
async def expected_version(if_match: IfMatch = None) -> int | None:
    """The version the caller last saw, from `If-Match`."""
    return _version(if_match)


@may_answer(
    _IF_MATCH_PROBLEMS | {428: problem("No `If-Match`: giving a task away needs its version.")},
    requires=("If-Match",),
)
async def required_version(if_match: IfMatch = None) -> int:
    """The version the caller last saw, which they must send (428 without)."""
    expected = _version(if_match)
    if expected is None:
        raise ProblemError(
            428, "Precondition required", "Send If-Match with the task's version to assign it."
        )
    return expected


Expected = Annotated[int | None, Depends(expected_version)]
Required = Annotated[int, Depends(required_version)]


async def _referrals(request: Request) -> ReferralClient:
    client: ReferralClient = request.app.state.referrals
    return client


ReferralsDep = Annotated[ReferralClient, Depends(_referrals)]


def _tagged(response: Response, task: TaskRead) -> TaskRead:
    response.headers["ETag"] = f'"{task.version}"'
    return task


@tasks_router.get("")
async def list_tasks(
    principal: Reader,
    purpose: Purpose,
    pool: PoolDep,
    stage: Annotated[list[Stage], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    kind: Annotated[list[TaskKind], Query()] = [],  # noqa: B006
    status: Annotated[list[TaskStatus], Query()] = [TaskStatus.OPEN],  # noqa: B006
    area: Annotated[list[str], Query(max_length=100)] = [],  # noqa: B006
    due_after: IsoDateTime | None = None,
    due_before: IsoDateTime | None = None,
    overdue: bool | None = None,
    assignee: Annotated[
        str | None, Query(description="An officer id, `me`, or `none` for unheld tasks.")
    ] = None,
    sort: TaskSort = "due_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> TaskPage:
    """The task inbox for the caller's areas, filtered, sorted (stably) and paged."""
    query = store.TaskQuery(
        areas=requested_areas(principal, area),
        statuses=status,
        stages=[str(s) for s in stage],
        kinds=kind,
        due_after=due_after,
        due_before=due_before,
        overdue=overdue,
        assignee=principal.subject
        if assignee == "me"
        else None
        if assignee == "none"
        else assignee,
        unassigned=assignee == "none",
        sort=sort,
    )
    return await service.inbox(
        pool, principal=principal, query=query, limit=limit, offset=offset, purpose=purpose
    )


@tasks_router.get("/{task_id}")
async def get_task(
    task_id: UUID, principal: Reader, purpose: Purpose, pool: PoolDep, response: Response
) -> TaskRead:
    """One task; its ETag is the version to send back in If-Match."""
    task = await service.read_task(pool, principal=principal, task_id=task_id, purpose=purpose)
    return _tagged(response, task)


@tasks_router.post("/{task_id}/claim")
async def claim_task(
    task_id: UUID, principal: Officer, expected: Expected, pool: PoolDep, response: Response
) -> TaskRead:
    """Take the task; 409 if another officer holds it, 412 if If-Match is stale."""
    task = await service.claim(pool, principal=principal, task_id=task_id, expected=expected)
    return _tagged(response, task)


@tasks_router.post("/{task_id}/assign")
async def assign_task(
    task_id: UUID,
    body: TaskAssign,
    principal: Officer,
    expected: Required,
    pool: PoolDep,
    response: Response,
) -> TaskRead:
    """Give the task to an officer; needs If-Match (428 without, 412 if stale)."""
    task = await service.assign(
        pool, principal=principal, task_id=task_id, assignee=body.assignee, expected=expected
    )
    return _tagged(response, task)


@tasks_router.post("/{task_id}/release")
async def release_task(
    task_id: UUID, principal: Officer, expected: Expected, pool: PoolDep, response: Response
) -> TaskRead:
    """Put the task back; another officer's task only with If-Match."""
    task = await service.release(pool, principal=principal, task_id=task_id, expected=expected)
    return _tagged(response, task)


@triage_router.get("", responses=TRIAGE_RESPONSES)
async def list_triage(
    principal: Reader,
    purpose: Purpose,
    pool: PoolDep,
    stage: Annotated[list[Stage], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    kind: Annotated[list[TaskKind], Query()] = [],  # noqa: B006
    due_after: IsoDateTime | None = None,
    due_before: IsoDateTime | None = None,
    overdue: bool | None = None,
    sort: TaskSort = "due_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> TaskPage:
    """Open tasks of cases no area owns yet, for any officer to place (auditors read)."""
    query = store.TaskQuery(
        areas=triage_areas(principal),
        stages=[str(s) for s in stage],
        kinds=kind,
        due_after=due_after,
        due_before=due_before,
        overdue=overdue,
        sort=sort,
    )
    return await service.inbox(
        pool, principal=principal, query=query, limit=limit, offset=offset, purpose=purpose
    )


@cases_router.get("/{reference}")
async def get_case(
    reference: str,
    principal: Reader,
    purpose: Purpose,
    pool: PoolDep,
    temporal: TemporalDep,
    referrals: ReferralsDep,
    fresh: Annotated[bool, Query(description=FRESH)] = False,
) -> CaseView:
    """The case: referral, linked referrals, status, decisions, chronology and tasks."""
    return await cases.case_view(
        pool,
        temporal,
        referrals,
        principal=principal,
        reference=reference,
        purpose=purpose,
        fresh=fresh,
    )


@cases_router.post("/{reference}/gateway-assessment")
async def record_gateway_assessment(
    reference: str,
    body: GatewayAssessmentCreate,
    principal: Officer,
    pool: PoolDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Record the gateway assessment; 409 with the current stage if the case has moved on."""
    return await cases.act(
        pool,
        temporal,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.record_gateway_assessment,
        build=lambda actor: a.GatewayAssessmentInput(actor=actor, **body.model_dump()),
    )


@cases_router.post("/{reference}/police-reviews")
async def record_police_review(
    reference: str,
    body: PoliceReviewCreate,
    principal: Officer,
    pool: PoolDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Review a police-led case: continue, close or refer to Channel."""
    return await cases.act(
        pool,
        temporal,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.record_police_review,
        build=lambda actor: a.PoliceReviewInput(actor=actor, **body.model_dump()),
    )


@cases_router.post("/{reference}/information")
async def add_information(
    reference: str,
    body: InformationCreate,
    principal: Officer,
    pool: PoolDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """New information: the case goes back to gateway assessment (a reassessment)."""
    return await cases.act(
        pool,
        temporal,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.add_information,
        build=lambda actor: a.NewInformationInput(actor=actor, **body.model_dump()),
    )


@cases_router.post("/{reference}/transfer", responses=TRANSFER_REQUEST_RESPONSES)
async def transfer_case(
    reference: str,
    body: TransferCreate,
    principal: Officer,
    pool: PoolDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Ask another area to take the case, with its history: it stays in your area, listed in
    theirs (`GET /v1/transfers`), until one of their officers or chairs accepts it."""
    return await cases.act(
        pool,
        temporal,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.transfer_case,
        build=lambda actor: a.TransferInput(actor=actor, **body.model_dump()),
    )


@cases_router.post("/{reference}/transfer/accept", responses=TRANSFER_ANSWER_REFUSALS)
async def accept_transfer(reference: str, principal: Officer, temporal: TemporalDep) -> CaseStatus:
    """Take in a case whose transfer waits on your area: it becomes yours, history and all,
    and the sending area no longer sees it."""
    return await transfers.answer(
        temporal,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.accept_transfer,
        build=lambda actor: a.AcceptTransferInput(actor=actor),
    )


@cases_router.post("/{reference}/transfer/decline", responses=TRANSFER_ANSWER_REFUSALS)
async def decline_transfer(
    reference: str, body: TransferDecline, principal: Officer, temporal: TemporalDep
) -> CaseStatus:
    """Decline a transfer to your area, saying why; the case stays where it is."""
    return await transfers.answer(
        temporal,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.decline_transfer,
        build=lambda actor: a.DeclineTransferInput(actor=actor, reason=body.reason),
    )


@cases_router.post("/{reference}/transfer/withdraw", responses=TRANSFER_WITHDRAW_REFUSALS)
async def withdraw_transfer(
    reference: str, body: TransferWithdrawal, principal: Officer, temporal: TemporalDep
) -> CaseStatus:
    """Withdraw your area's request to transfer the case."""
    return await transfers.answer(
        temporal,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.withdraw_transfer,
        build=lambda actor: a.WithdrawTransferInput(actor=actor, reason=body.reason),
    )


@cases_router.post("/{reference}/area", responses=SET_AREA_RESPONSES)
async def set_case_area(
    reference: str, body: CaseAreaUpdate, principal: Officer, temporal: TemporalDep
) -> CaseStatus:
    """Place a case that has no area yet in one of your own areas; it leaves triage."""
    return await triage.place_in_area(
        temporal, principal=principal, reference=reference, area=body.area
    )


@transfers_router.get("", responses=TRANSFER_LIST_RESPONSES)
async def list_transfers(
    principal: Reader,
    purpose: Purpose,
    pool: PoolDep,
    area: Annotated[list[str], Query(max_length=100)] = [],  # noqa: B006 - FastAPI copies
) -> list[TransferRead]:
    """Transfers waiting for one of your areas to accept or decline them, oldest first; open
    each case (`GET /v1/cases/{reference}`) to read it before answering."""
    areas = requested_areas(principal, area)
    return await transfers.incoming(pool, principal=principal, areas=areas, purpose=purpose)


@metrics_router.get("")
async def get_metrics(principal: Monitor, pool: PoolDep) -> InboxMetrics:
    """Task counts for the caller's areas (every area for operators); no case content."""
    return await service.metrics(pool, principal=principal)
