"""HTTP routes of the intake service: parse, delegate, answer."""

from __future__ import annotations

from fastapi import APIRouter, Response

from safeguard.web import PoolDep, SettingsDep, TemporalDep
from services.intake import service
from services.intake.models import ReferralAccepted, ReferralCreate, ReferralStatus

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])


@router.post("", status_code=201)
async def submit_referral(
    form: ReferralCreate,
    response: Response,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> ReferralAccepted:
    """Submit a referral; the answer carries its reference."""
    accepted = await service.submit_referral(
        pool, temporal, form=form, task_queue=settings.temporal_task_queue
    )
    response.headers["Location"] = accepted.status_url
    return accepted


@router.get("/{reference}")
async def get_referral_status(reference: str, pool: PoolDep) -> ReferralStatus:
    """The minimal status of a referral."""
    return await service.referral_status(pool, reference=reference)
