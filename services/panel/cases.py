"""Which cases a caller may see, and acting on a case: workflow updates, then our record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import ValidationError
from temporalio.client import Client

from safeguard.auth.staff import StaffPrincipal
from safeguard.case_updates import run_query, run_update
from safeguard.codes import Role, Stage
from safeguard.db.pool import Connection, Pool
from safeguard.errors import FieldError, ProblemError, documented_problem
from safeguard.fieldcrypt.keyring import Keyring
from services.panel import records, store
from services.panel.access import actor_for, bound_to_case, sees_area, unknown_case
from services.panel.models import ConsentAnswerCreate, ConsentWithdrawalCreate
from services.panel.register import service as register
from workflows.referral.actions import (
    ActionInput,
    Actor,
    ConsentDecisionInput,
    Intervention,
    WithdrawConsentInput,
)
from workflows.referral.models import CaseStatus
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for


async def may_see(conn: Connection, principal: StaffPrincipal, row: asyncpg.Record) -> bool:
    """Chairs and auditors see their areas' cases; panel members their agendas' cases."""
    if principal.role is Role.PANEL_MEMBER:
        return await store.member_sees(
            conn, subject=principal.subject, referral_id=row["referral_id"]
        )
    if principal.role in (Role.CHANNEL_CHAIR, Role.AUDITOR):
        return sees_area(principal, row["area"])
    return False


def receives(principal: StaffPrincipal, transfer_to: str | None) -> bool:
    """Whether a transfer waits on one of a chair's (or auditor's) areas: the chair reads the
    case to decide, and answers it, before it is theirs."""
    if principal.role not in (Role.CHANNEL_CHAIR, Role.AUDITOR) or transfer_to is None:
        return False
    return sees_area(principal, transfer_to)


async def visible_case(
    conn: Connection, principal: StaffPrincipal, reference: str, *, incoming: bool = False
) -> asyncpg.Record:
    """The case's read-model row; 404 (as for an unknown case) if the caller may not see it.
    With `incoming`, a case waiting to be transferred to the caller's area is seen too (to
    read it, never to work on it)."""
    row = await store.case_by_reference(conn, reference)
    if row is None:
        raise unknown_case(reference)
    if not (
        await may_see(conn, principal, row)
        or (incoming and receives(principal, row["transfer_to"]))
    ):
        raise unknown_case(reference)
    return row


# A plan's interventions and where they are in the request body (for the errors).
PlanChoice = tuple[str, Sequence[Intervention]]

# A closed case is read and audited, not worked on: re-opening goes through the workflow
# (concerns at a post-exit review, or new information), never through casework records.
ENDED = frozenset({Stage.CLOSED, Stage.REDACTED})


CASE_ENDED: dict[int | str, dict[str, Any]] = {
    409: documented_problem(
        "The case has moved on: it is closed (`stage` CLOSED or REDACTED), and a closed case"
        " can be read but not worked on."
    )
}


# Documented on each route that takes a plan.
PLAN_REFUSALS: dict[int | str, dict[str, Any]] = {
    422: documented_problem(
        "The plan names a provider the approved-provider register does not let it choose:"
        " `Unknown provider`, `Provider inactive`, `Provider approval expired` (its"
        " `approved_until` is before today or the intervention's start), `Provider not"
        " approved in the area` (of the case) or `Provider not approved for the support` (the"
        " intervention's type); `errors` names the item."
    )
}


def refuse_if_ended(row: asyncpg.Record) -> None:
    """409, as for a workflow step the case's stage does not allow, if the case has closed."""
    if row["stage"] in ENDED:
        raise ProblemError(
            409,
            "The case has moved on",
            f"The case is {row['stage']}: a closed case can be read but not worked on.",
            stage=row["stage"],
        )


async def act(
    pool: Pool,
    temporal: Client,
    *,
    keyring: Keyring,
    principal: StaffPrincipal,
    reference: str,
    update: Any,
    build: Callable[[Actor], ActionInput],
    detail: dict[str, Any],
    meeting_id: UUID | None = None,
    answering_transfer: bool = False,
    plan: PlanChoice | None = None,
) -> CaseStatus:
    """Run a step as a workflow update (409 if the case moved on), then keep our record of it.

    An answer to a transfer may come from the receiving area too (the workflow decides which
    side may give which answer). A step carrying a plan (`plan`: where its interventions are
    in the body, and them) is refused unless the register approves each provider for the
    case's area.
    """
    workflow_id = workflow_id_for(reference)
    area = None
    if principal.role is Role.PERSON_OR_GUARDIAN:
        if not bound_to_case(principal, reference):
            raise unknown_case(reference)
    else:
        status: CaseStatus = await run_query(temporal, workflow_id, ReferralWorkflow.status)
        # The workflow's own area decides, so a case just transferred away is no longer ours.
        pending = status.pending_transfer if answering_transfer else None
        receiving = pending is not None and sees_area(principal, pending.to_area)
        if not (sees_area(principal, status.area) or receiving):
            raise unknown_case(reference)
        area = status.area
    async with pool.acquire() as conn:
        row = await store.case_by_reference(conn, reference)
        if row is not None and plan is not None:
            at, interventions = plan
            await register.check_plan(conn, interventions, area=area or row["area"], at=at)
    if row is None:
        raise ProblemError(
            404, "Unknown case", "The panel has not yet heard of this case; try again."
        )
    try:
        action = build(actor_for(principal))
    except ValidationError as error:
        raise invalid(error) from None
    result: CaseStatus = await run_update(temporal, workflow_id, update, action)
    async with pool.acquire() as conn:
        await records.add_action(
            conn,
            keyring,
            referral_id=row["referral_id"],
            action=update.__name__,
            actor=principal.subject,
            role=principal.role,
            stage_after=result.stage,
            plan_revision=result.plan_revision,
            meeting_id=meeting_id,
            detail=detail,
        )
    return result


async def record_consent(
    pool: Pool,
    temporal: Client,
    *,
    keyring: Keyring,
    principal: StaffPrincipal,
    reference: str,
    body: ConsentAnswerCreate,
) -> CaseStatus:
    """Consent given (with its scope) or refused: through a consent link, a
    `consent:<reference>` token or by staff."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.record_consent,
        build=lambda actor: ConsentDecisionInput(actor=actor, **body.model_dump()),
        detail=body.model_dump(mode="json"),
    )


async def withdraw_consent(
    pool: Pool,
    temporal: Client,
    *,
    keyring: Keyring,
    principal: StaffPrincipal,
    reference: str,
    body: ConsentWithdrawalCreate,
) -> CaseStatus:
    """Consent withdrawn: support stops and the panel reassesses later."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.withdraw_consent,
        build=lambda actor: WithdrawConsentInput(actor=actor, notes=body.notes),
        detail=body.model_dump(mode="json"),
    )


def invalid(error: ValidationError) -> ProblemError:
    """A 422 naming each bad field, with messages only (never the submitted values)."""
    errors = [
        FieldError(
            field=".".join(str(p) for p in e["loc"]) or "body", message=e["msg"]
        ).model_dump()
        for e in error.errors()
    ]
    return ProblemError(422, "Invalid request", errors=errors)
