"""Intake operations: accept a referral, start its workflow, report its status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from safeguard.db.pool import Pool
from safeguard.errors import ProblemError
from services.intake import store
from services.intake.models import ReferralAccepted, ReferralCreate, ReferralStatus
from workflows.referral.models import ReferralWorkflowInput
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for


async def submit_referral(
    pool: Pool, temporal: Client, *, form: ReferralCreate, task_queue: str
) -> ReferralAccepted:
    """Store the referral with its new reference, then start its case workflow."""
    received_at = datetime.now(UTC)
    referral_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        reference = await store.next_reference(conn, year=received_at.year)
        await store.insert_referral(
            conn,
            referral_id=referral_id,
            reference=reference,
            received_at=received_at,
            sector=form.referrer.sector,
            concern_type=form.concern.type,
            form=form.model_dump(mode="json"),
            workflow_id=workflow_id_for(reference),
        )
    workflow_input = ReferralWorkflowInput(
        referral_id=referral_id,
        reference=reference,
        sector=form.referrer.sector,
        concern_type=form.concern.type,
        received_at=received_at,
    )
    await _start_workflow(temporal, workflow_input, task_queue=task_queue)
    async with pool.acquire() as conn:
        await store.mark_started(conn, referral_id=referral_id)
    return ReferralAccepted(reference=reference, status_url=f"/v1/referrals/{reference}")


async def _start_workflow(
    temporal: Client, workflow_input: ReferralWorkflowInput, *, task_queue: str
) -> None:
    try:
        await temporal.start_workflow(
            ReferralWorkflow.run,
            workflow_input,
            id=workflow_id_for(workflow_input.reference),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        # A second start for the same reference is a retry: the case already exists.
        pass


async def referral_status(pool: Pool, *, reference: str) -> ReferralStatus:
    """The minimal status a referrer may see."""
    async with pool.acquire() as conn:
        exists, started = await store.started_at(conn, reference=reference)
    if not exists:
        raise ProblemError(404, "Unknown referral", f"No referral has reference {reference}.")
    return ReferralStatus(reference=reference, status="being_assessed" if started else "received")
