"""Reading cases (the work queue, the case view) and the panel's own casework records."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from uuid import UUID

from temporalio.client import Client

from safeguard.access_log import record_read
from safeguard.audit.actions import record_action
from safeguard.auth.staff import StaffPrincipal
from safeguard.codes import Role
from safeguard.db.pool import Connection, Pool
from safeguard.errors import ProblemError
from safeguard.fieldcrypt.keyring import Keyring
from safeguard.intake_client import ReferralClient
from services.panel import records, store, views
from services.panel.access import SERVICE, visible_areas
from services.panel.cases import may_see, refuse_if_ended, visible_case
from services.panel.factors import dimension_of
from services.panel.models import (
    AssessmentCreate,
    AssessmentRead,
    CaseMeeting,
    CaseSummary,
    CaseView,
    ConsentRecordRead,
    DecisionView,
    InformationRequestCreate,
    InformationRequestRead,
    PanelMetrics,
    PlanRevisionRead,
    QueueItem,
    QueuePage,
    TransferRead,
)
from workflows.referral.chronology import chronology
from workflows.referral.reading import projection_of, read_case

QUEUE_FIELDS = ("case.reference", "case.stage", "case.area", "case.due_at")


async def _logged(
    conn: Connection,
    principal: StaffPrincipal,
    referral_id: UUID | None,
    fields: Sequence[str],
    purpose: str,
) -> None:
    await record_read(
        conn,
        service=SERVICE,
        principal=principal,
        referral_id=referral_id,
        fields=fields,
        purpose=purpose,
    )


async def queue(
    pool: Pool,
    *,
    principal: StaffPrincipal,
    kinds: Sequence[str],
    overdue: bool | None,
    limit: int,
    offset: int,
    purpose: str,
) -> QueuePage:
    """Cases awaiting consent, the panel or a review: the caller's areas, or their agendas."""
    member = principal.subject if principal.role is Role.PANEL_MEMBER else None
    query = store.QueueQuery(
        areas=None if member else visible_areas(principal),
        member=member,
        kinds=kinds,
        overdue=overdue,
    )
    async with pool.acquire() as conn, conn.transaction():
        rows, total = await store.list_queue(conn, query, limit=limit, offset=offset)
        await _logged(conn, principal, None, QUEUE_FIELDS, purpose)
    shown = offset + len(rows)
    return QueuePage(
        items=[QueueItem.model_validate(dict(row)) for row in rows],
        total=total,
        offset=offset,
        limit=limit,
        next_offset=shown if shown < total else None,
    )


# What the list of incoming transfers shows of each case: ids, codes and dates.
TRANSFER_FIELDS = (
    "case.reference",
    "case.stage",
    "case.area",
    "transfer.to_area",
    "transfer.requested_at",
)


async def incoming_transfers(
    pool: Pool, *, principal: StaffPrincipal, purpose: str
) -> list[TransferRead]:
    """Transfers waiting for one of the caller's areas (panel members have none here)."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.incoming_transfers(conn, visible_areas(principal))
        await _logged(conn, principal, None, TRANSFER_FIELDS, purpose)
    return [TransferRead.model_validate(dict(row)) for row in rows]


async def metrics(pool: Pool, *, principal: StaffPrincipal) -> PanelMetrics:
    """Counts over the caller's areas (every area for operators): no case content."""
    async with pool.acquire() as conn:
        counts = await store.metrics(conn, areas=visible_areas(principal))
    return PanelMetrics.model_validate(counts)


async def case_view(
    pool: Pool,
    keyring: Keyring,
    temporal: Client,
    referrals: ReferralClient,
    *,
    principal: StaffPrincipal,
    reference: str,
    purpose: str,
    fresh: bool = False,
) -> CaseView:
    """The referral, status, decisions (never police-only detail), chronology and records.
    The status is the read model's while that is current (see `read_case`), unless `fresh`."""
    async with pool.acquire() as conn:
        # A chair of the area a transfer waits on reads the whole case to decide.
        row = await visible_case(conn, principal, reference, incoming=True)
    referral_id: UUID = row["referral_id"]
    fetched, reading = await asyncio.gather(
        referrals.fetch(referral_id),
        read_case(temporal, reference, projection_of(row), fresh=fresh),
    )
    status, decisions = reading.status, reading.decisions
    async with pool.acquire() as conn, conn.transaction():
        view = CaseView(
            case=CaseSummary.model_validate(dict(row)),
            referral=fetched.referral.form if fetched.referral else None,
            status=status,
            decisions=None
            if decisions is None
            else [DecisionView.model_validate(views.decision_for(principal, d)) for d in decisions],
            chronology=chronology(await store.case_events(conn, referral_id), decisions or []),
            consent=views.consent_records(
                await records.actions_for_case(conn, keyring, referral_id, views.CONSENT_ACTIONS)
            ),
            information_requests=views.information_requests(
                await records.requests_for_case(conn, keyring, referral_id)
            ),
            assessments=views.assessments(
                await records.assessments_for_case(conn, keyring, referral_id)
            ),
            plan=await views.plan_of_case(conn, keyring, referral_id),
            meetings=[
                CaseMeeting.model_validate(dict(m))
                for m in await records.case_meetings(conn, referral_id)
            ],
            gaps=({"referral": fetched.gap} if fetched.gap else {}) | reading.gaps,
        )
        await _logged(conn, principal, referral_id, _fields_shown(view), purpose)
    return view


def _fields_shown(view: CaseView) -> list[str]:
    shown = ["case", "chronology", "consent", "information_requests", "assessments", "plan"]
    shown.append("meetings")
    shown += ["referral.form"] if view.referral is not None else []
    shown += ["status"] if view.status is not None else []
    shown += ["decisions"] if view.decisions is not None else []
    return shown


async def consent_records(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, reference: str, purpose: str
) -> list[ConsentRecordRead]:
    """Who consented (person, guardian or best interests), when, how, to what; withdrawals."""
    async with pool.acquire() as conn, conn.transaction():
        row = await visible_case(conn, principal, reference)
        found = await records.actions_for_case(
            conn, keyring, row["referral_id"], views.CONSENT_ACTIONS
        )
        await _logged(conn, principal, row["referral_id"], ["consent"], purpose)
    return views.consent_records(found)


async def case_meetings(
    pool: Pool, *, principal: StaffPrincipal, reference: str, purpose: str
) -> list[CaseMeeting]:
    """The meetings whose agenda has the case, earliest first."""
    async with pool.acquire() as conn, conn.transaction():
        row = await visible_case(conn, principal, reference)
        found = await records.case_meetings(conn, row["referral_id"])
        await _logged(conn, principal, row["referral_id"], ["meetings"], purpose)
    return [CaseMeeting.model_validate(dict(m)) for m in found]


async def support_plan(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, reference: str, purpose: str
) -> list[PlanRevisionRead]:
    """Every revision of the support plan."""
    async with pool.acquire() as conn, conn.transaction():
        row = await visible_case(conn, principal, reference)
        plan = await views.plan_of_case(conn, keyring, row["referral_id"])
        await _logged(conn, principal, row["referral_id"], ["plan"], purpose)
    return plan


async def request_information(
    pool: Pool,
    keyring: Keyring,
    *,
    principal: StaffPrincipal,
    reference: str,
    body: InformationRequestCreate,
) -> InformationRequestRead:
    """Ask a partner agency for information about a case."""
    request_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        row = await visible_case(conn, principal, reference)
        refuse_if_ended(row)
        await records.add_request(
            conn,
            keyring,
            request_id=request_id,
            referral_id=row["referral_id"],
            agency=body.agency,
            question=body.question,
            due_by=body.due_by,
            by=principal.subject,
        )
        # Asked and answered outside the workflow: the audit log keeps them for the timeline.
        await record_action(
            conn,
            principal,
            "panel.information_requested",
            [row["referral_id"]],
            request_id=request_id,
            agency=body.agency,
            due_by=body.due_by,
        )
        found = await records.get_request(conn, keyring, request_id)
    return InformationRequestRead.model_validate(found or {})


async def information_requests(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, reference: str, purpose: str
) -> list[InformationRequestRead]:
    """A case's information requests and replies."""
    async with pool.acquire() as conn, conn.transaction():
        row = await visible_case(conn, principal, reference)
        found = await records.requests_for_case(conn, keyring, row["referral_id"])
        await _logged(conn, principal, row["referral_id"], ["information_requests"], purpose)
    return views.information_requests(found)


async def reply_information(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, request_id: UUID, reply: str
) -> InformationRequestRead:
    """An agency's reply: by the chair, or a member of that agency who sees the case."""
    async with pool.acquire() as conn, conn.transaction():
        request = await records.get_request(conn, keyring, request_id, lock=True)
        case = await store.case_by_id(conn, request["referral_id"]) if request else None
        if request is None or case is None or not await may_see(conn, principal, case):
            raise ProblemError(404, "Unknown request", "No information request with that id.")
        if principal.role is Role.PANEL_MEMBER and principal.agency != request["agency"]:
            raise ProblemError(403, "Not your agency", f"This request is for {request['agency']}.")
        refuse_if_ended(case)
        if request["replied_at"] is not None:
            raise ProblemError(409, "Already answered", "This request has its reply.")
        await records.reply_request(
            conn, keyring, request=request, reply=reply, by=principal.subject
        )
        await record_action(
            conn,
            principal,
            "panel.information_replied",
            [request["referral_id"]],
            request_id=request_id,
            agency=request["agency"],
        )
        found = await records.get_request(conn, keyring, request_id)
    return InformationRequestRead.model_validate(found or {})


async def assess(
    pool: Pool,
    keyring: Keyring,
    *,
    principal: StaffPrincipal,
    reference: str,
    body: AssessmentCreate,
) -> AssessmentRead:
    """Record a vulnerability assessment of all 22 factors."""
    assessment_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        row = await visible_case(conn, principal, reference)
        refuse_if_ended(row)
        if body.meeting_id is not None and body.meeting_id not in await records.meetings_of_case(
            conn, row["referral_id"]
        ):
            raise ProblemError(
                422, "Not on the agenda", "The case was not on that meeting's agenda."
            )
        await records.add_assessment(
            conn,
            keyring,
            assessment_id=assessment_id,
            referral_id=row["referral_id"],
            meeting_id=body.meeting_id,
            summary=body.summary,
            by=principal.subject,
            ratings=[
                (factor, dimension_of(factor), rated.rating, rated.notes)
                for factor, rated in body.factors.items()
            ],
        )
        # Ids only: the ratings describe the person, and the log outlives the case's erasure.
        await record_action(
            conn,
            principal,
            "panel.vulnerability_assessed",
            [row["referral_id"]],
            assessment_id=assessment_id,
            meeting_id=body.meeting_id,
            factors_rated=len(body.factors),
        )
        found = await records.assessments_for_case(conn, keyring, row["referral_id"])
    return next(a for a in views.assessments(found) if a.id == assessment_id)


async def assessments(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, reference: str, purpose: str
) -> list[AssessmentRead]:
    """A case's vulnerability assessments."""
    async with pool.acquire() as conn, conn.transaction():
        row = await visible_case(conn, principal, reference)
        found = await records.assessments_for_case(conn, keyring, row["referral_id"])
        await _logged(conn, principal, row["referral_id"], ["assessments"], purpose)
    return views.assessments(found)
