"""Routes for other services only: hidden from the partners' OpenAPI, behind a service token."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends

from safeguard.web import PoolDep
from services.intake.contacts import referral_contacts
from services.intake.deps import require_service_token
from services.intake.models import ReferralContacts

internal_router = APIRouter(
    prefix="/internal/v1",
    include_in_schema=False,
    dependencies=[Depends(require_service_token)],
)


@internal_router.get("/referrals/{referral_id}/contacts")
async def get_contacts(referral_id: UUID, pool: PoolDep) -> ReferralContacts:
    """Contact details needed to notify about a case."""
    return await referral_contacts(pool, referral_id=referral_id)
