"""HTTP routes for support plans, reviews and intervention providers."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from safeguard.access_log import stated_purpose
from safeguard.fieldcrypt.setup import KeyringDep
from safeguard.web import PoolDep, TemporalDep
from services.panel import casework, providers
from services.panel.access import Chair, Provider, Reader
from services.panel.cases import PLAN_REFUSALS, act
from services.panel.models import (
    ContactCreate,
    PlanCreate,
    PlanRevisionRead,
    PostExitReviewCreate,
    ProviderItemRead,
    SupportReviewCreate,
)
from workflows.referral import actions as a
from workflows.referral.models import CaseStatus
from workflows.referral.workflows import ReferralWorkflow

Purpose = Annotated[str, Depends(stated_purpose)]

plans_router = APIRouter(prefix="/v1/cases", tags=["support"])
provider_router = APIRouter(prefix="/v1/provider", tags=["providers"])


@plans_router.get("/{reference}/support-plan")
async def get_support_plan(
    reference: str, principal: Reader, purpose: Purpose, pool: PoolDep, keyring: KeyringDep
) -> list[PlanRevisionRead]:
    """Every revision of the support plan, with each item's provider, frequency and dates."""
    return await casework.support_plan(
        pool, keyring, principal=principal, reference=reference, purpose=purpose
    )


@plans_router.post("/{reference}/support-plan", responses=PLAN_REFUSALS)
async def revise_support_plan(
    reference: str,
    body: PlanCreate,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Agree a new revision of the plan while support is active."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.revise_support_plan,
        build=lambda actor: a.SupportPlanInput(actor=actor, **body.model_dump()),
        detail={"plan": body.model_dump(mode="json")},
        plan=("interventions", body.interventions),
    )


@plans_router.post("/{reference}/support-reviews", responses=PLAN_REFUSALS)
async def record_support_review(
    reference: str,
    body: SupportReviewCreate,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Review the plan: continue, revise (with the new plan) or exit (with its reason)."""

    def build(actor: a.Actor) -> a.ActionInput:
        plan = body.plan and a.SupportPlanInput(actor=actor, **body.plan.model_dump())
        return a.SupportReviewInput(
            actor=actor,
            decision=body.decision,
            notes=body.notes,
            plan=plan,
            exit_reason=body.exit_reason,
        )

    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.record_support_review,
        build=build,
        detail=body.model_dump(mode="json"),
        plan=("plan.interventions", body.plan.interventions) if body.plan else None,
    )


@plans_router.post("/{reference}/post-exit-reviews")
async def record_post_exit_review(
    reference: str,
    body: PostExitReviewCreate,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """A post-exit review at the months the case's policy sets; concerns re-open the case, the
    last clean one closes it."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.record_post_exit_review,
        build=lambda actor: a.PostExitReviewInput(actor=actor, **body.model_dump()),
        detail=body.model_dump(mode="json"),
    )


@provider_router.get("/items")
async def list_my_items(
    principal: Provider,
    purpose: Purpose,
    pool: PoolDep,
    keyring: KeyringDep,
    include_superseded: bool = False,
) -> list[ProviderItemRead]:
    """The plan items assigned to you (current revisions), with your contacts."""
    return await providers.my_items(
        pool, keyring, principal=principal, include_superseded=include_superseded, purpose=purpose
    )


@provider_router.get("/items/{item_id}")
async def get_my_item(
    item_id: UUID, principal: Provider, purpose: Purpose, pool: PoolDep, keyring: KeyringDep
) -> ProviderItemRead:
    """One of your plan items and its contacts."""
    return await providers.my_item(
        pool, keyring, principal=principal, item_id=item_id, purpose=purpose
    )


@provider_router.post("/items/{item_id}/contacts", status_code=201)
async def record_contact(
    item_id: UUID, body: ContactCreate, principal: Provider, pool: PoolDep, keyring: KeyringDep
) -> ProviderItemRead:
    """Record a contact or session (attended or missed) against one of your items."""
    return await providers.record_contact(
        pool, keyring, principal=principal, item_id=item_id, body=body
    )
