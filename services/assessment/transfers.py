"""Transfers between areas: the requests waiting for the caller's areas, and answering them.

The sending area asks through `/transfer` like any decision (`cases.act`); the case stays
theirs until the receiving area accepts. Until then the receiving area's officers read the
case to decide (`cases.case_view`) and answer here. The workflow decides who may answer:
these checks only answer a case neither side holds like an unknown one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio.client import Client

from safeguard.access_log import record_read
from safeguard.auth.staff import StaffPrincipal
from safeguard.case_updates import run_query, run_update
from safeguard.db.pool import Pool
from safeguard.errors import ProblemError
from services.assessment import store
from services.assessment.access import SERVICE, actor_for, sees_area
from services.assessment.models import TransferRead
from workflows.referral.actions import ActionInput, Actor
from workflows.referral.models import CaseStatus
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

# What the list of incoming transfers shows of each case: ids, codes and dates.
TRANSFER_FIELDS = (
    "case.reference",
    "case.stage",
    "case.area",
    "transfer.to_area",
    "transfer.requested_at",
)


async def incoming(
    pool: Pool, *, principal: StaffPrincipal, areas: tuple[str, ...] | None, purpose: str
) -> list[TransferRead]:
    """Transfers waiting for one of `areas` to accept them; the read is logged."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.incoming_transfers(conn, areas)
        await record_read(
            conn,
            service=SERVICE,
            principal=principal,
            referral_id=None,
            fields=TRANSFER_FIELDS,
            purpose=purpose,
        )
    return [TransferRead.model_validate(dict(row)) for row in rows]


async def answer(
    temporal: Client,
    *,
    principal: StaffPrincipal,
    reference: str,
    update: Any,
    build: Callable[[Actor], ActionInput],
) -> CaseStatus:
    """Accept, decline or withdraw a transfer as a workflow update (no task is involved)."""
    workflow_id = workflow_id_for(reference)
    status: CaseStatus = await run_query(temporal, workflow_id, ReferralWorkflow.status)
    pending = status.pending_transfer
    # Either side of a waiting transfer may ask; which side may do what is the workflow's rule.
    receiving = pending is not None and sees_area(principal, pending.to_area)
    if not (sees_area(principal, status.area) or receiving):
        raise ProblemError(404, "Unknown case", "No case with that reference in your areas.")
    action = build(actor_for(principal))
    result: CaseStatus = await run_update(temporal, workflow_id, update, action)
    return result
