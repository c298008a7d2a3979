"""HTTP routes of the notifications service."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from safeguard.web import PoolDep
from services.notifications import store
from services.notifications.models import NotificationRead

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get("")
async def list_notifications(referral_id: UUID, pool: PoolDep) -> list[NotificationRead]:
    """The delivery log of one referral."""
    async with pool.acquire() as conn:
        return await store.list_for_referral(conn, referral_id=referral_id)
