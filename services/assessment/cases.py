"""A case as an officer sees it, and the officer's decisions on it (workflow updates only)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import ValidationError
from temporalio.client import Client

from safeguard.access_log import record_read
from safeguard.auth.staff import StaffPrincipal
from safeguard.case_updates import run_query, run_update
from safeguard.db.pool import Pool
from safeguard.errors import FieldError, ProblemError
from safeguard.intake_client import Fetched, ReferralClient
from safeguard.police_only import POLICE_ONLY_FIELDS, sees_police_only
from services.assessment import service, store
from services.assessment.access import SERVICE, actor_for, receives, sees_area, sees_case
from services.assessment.models import CaseSummary, CaseView, DecisionView, LinkedReferralView
from workflows.referral.actions import ActionInput, Actor
from workflows.referral.chronology import chronology
from workflows.referral.models import CaseStatus
from workflows.referral.reading import CaseReading, projection_of, read_case
from workflows.referral.state import DecisionRecord
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for


async def case_view(
    pool: Pool,
    temporal: Client,
    referrals: ReferralClient,
    *,
    principal: StaffPrincipal,
    reference: str,
    purpose: str,
    fresh: bool = False,
) -> CaseView:
    """The referral, linked referrals, status, decisions and chronology; the read is logged.
    The status is the read model's while that is current (see `read_case`), unless `fresh`."""
    async with pool.acquire() as conn:
        row = await store.case_by_reference(conn, reference)
    # A case no area owns yet is open to triage, and one waiting to come to the caller's area
    # is open to its officers to decide; another area's answers like an unknown one.
    if row is None or not (
        sees_case(principal, row["area"]) or receives(principal, row["transfer_to"])
    ):
        raise ProblemError(404, "Unknown case", "No case with that reference in your areas.")
    referral_id: UUID = row["referral_id"]
    # Intake and Temporal (if it is asked) at once; either may fail without failing the view.
    fetched, engine = await asyncio.gather(
        referrals.fetch(referral_id),
        read_case(temporal, reference, projection_of(row), fresh=fresh),
    )
    police = sees_police_only(principal)
    async with pool.acquire() as conn, conn.transaction():
        events = await store.case_events(conn, referral_id)
        tasks = await store.tasks_for_case(conn, referral_id)
        linked = await _linked(conn, row, fetched)
        view = CaseView(
            case=CaseSummary.model_validate(dict(row)),
            referral=fetched.referral.form if fetched.referral else None,
            linked_referrals=linked,
            status=engine.status,
            decisions=None
            if engine.decisions is None
            else [_decision(record, police=police) for record in engine.decisions],
            chronology=chronology(events, engine.decisions or []),
            tasks=tasks,
            gaps=_gaps(fetched, engine),
        )
        await record_read(
            conn,
            service=SERVICE,
            principal=principal,
            referral_id=referral_id,
            fields=fields_shown(view, police=police),
            purpose=purpose,
        )
    return view


def fields_shown(view: CaseView, *, police: bool) -> list[str]:
    """The parts of the case a view disclosed, for the access log."""
    shown = ["case", "linked_referrals", "chronology", "tasks"]
    shown += ["referral.form"] if view.referral is not None else []
    shown += ["status"] if view.status is not None else []
    if view.decisions is not None:
        shown.append("decisions")
        if police and any(POLICE_ONLY_FIELDS & d.detail.keys() for d in view.decisions):
            shown += sorted(f"decisions.{name}" for name in POLICE_ONLY_FIELDS)
    return shown


async def act(
    pool: Pool,
    temporal: Client,
    *,
    principal: StaffPrincipal,
    reference: str,
    update: Any,
    build: Callable[[Actor], ActionInput],
) -> CaseStatus:
    """Run an officer's decision as a workflow update: 409 if the case moved on or another
    officer holds its task, 503 if the engine is down."""
    await service.check_holder(pool, principal=principal, reference=reference)
    workflow_id = workflow_id_for(reference)
    status: CaseStatus = await run_query(temporal, workflow_id, ReferralWorkflow.status)
    # The workflow's own area decides, so a case just transferred away is no longer ours.
    if not sees_area(principal, status.area):
        raise ProblemError(404, "Unknown case", "No case with that reference in your areas.")
    try:
        action = build(actor_for(principal))
    except ValidationError as error:
        raise _invalid(error) from None
    result: CaseStatus = await run_update(temporal, workflow_id, update, action)
    return result


async def _linked(conn: Any, row: asyncpg.Record, fetched: Fetched) -> list[LinkedReferralView]:
    """Intake's links (or, without intake, the ids the case started with) and their fates."""
    if fetched.referral is not None:
        links = [link.model_dump() for link in fetched.referral.linked_referrals]
    else:
        links = [{"referral_id": referral_id} for referral_id in row["linked_referral_ids"]]
    known = {r["referral_id"]: r for r in await store.cases_by_ids(conn, _ids(links))}
    views = []
    for link in links:
        case = known.get(link["referral_id"])
        reference = link.get("reference") or (case["reference"] if case else None)
        if reference is None:
            continue
        views.append(
            LinkedReferralView(
                referral_id=link["referral_id"],
                reference=reference,
                received_at=link.get("received_at") or (case["received_at"] if case else None),
                stage=case["stage"] if case else None,
                outcome=case["outcome"] if case else None,
                closure_reason=case["closure_reason"] if case else None,
            )
        )
    return views


def _ids(links: Sequence[dict[str, Any]]) -> list[UUID]:
    return [link["referral_id"] for link in links]


def _decision(record: DecisionRecord, *, police: bool) -> DecisionView:
    detail = dict(record.detail)
    if not police:
        for name in POLICE_ONLY_FIELDS:
            detail.pop(name, None)
    return DecisionView.model_validate(record.model_dump() | {"detail": detail})


def _gaps(fetched: Fetched, engine: CaseReading) -> dict[str, str]:
    gaps: dict[str, str] = {}
    if fetched.gap:
        gaps["referral"] = fetched.gap
    return gaps | engine.gaps


def _invalid(error: ValidationError) -> ProblemError:
    # Messages only, never the submitted values (as the shared handler does).
    errors = [
        FieldError(
            field=".".join(str(p) for p in e["loc"]) or "body", message=e["msg"]
        ).model_dump()
        for e in error.errors()
    ]
    return ProblemError(422, "Invalid request", errors=errors)
