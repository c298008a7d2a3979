"""Steps the local authority takes on a case besides the panel's casework: referring a case to
Channel (possible since 2019, not only through the police's gateway assessment), and choosing
when a case without consent is reassessed."""

from __future__ import annotations

from fastapi import APIRouter

from safeguard.fieldcrypt.setup import KeyringDep
from safeguard.web import PoolDep, TemporalDep
from services.panel.access import Chair
from services.panel.cases import act
from services.panel.models import ChannelReferralCreate, ReassessmentPeriodCreate
from workflows.referral import actions as a
from workflows.referral.models import CaseStatus
from workflows.referral.workflows import ReferralWorkflow

steps_router = APIRouter(prefix="/v1/cases", tags=["cases"])


@steps_router.post("/{reference}/channel-referral")
async def refer_to_channel(
    reference: str,
    body: ChannelReferralCreate,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Refer a case still in gateway assessment to Channel, as the local authority."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.refer_to_channel,
        build=lambda actor: a.ChannelReferralInput(actor=actor, reasons=body.reasons),
        detail=body.model_dump(mode="json"),
    )


@steps_router.post("/{reference}/consent/reassessment-period")
async def set_reassessment_period(
    reference: str,
    body: ReassessmentPeriodCreate,
    principal: Chair,
    pool: PoolDep,
    keyring: KeyringDep,
    temporal: TemporalDep,
) -> CaseStatus:
    """Choose when the panel reassesses a case without consent (`days` after it was not given)."""
    return await act(
        pool,
        temporal,
        keyring=keyring,
        principal=principal,
        reference=reference,
        update=ReferralWorkflow.set_reassessment_period,
        build=lambda actor: a.ReassessmentPeriodInput(actor=actor, days=body.days),
        detail=body.model_dump(mode="json"),
    )
