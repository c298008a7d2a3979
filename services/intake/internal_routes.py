"""Routes for other services only: hidden from the partners' OpenAPI, behind a service token."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from safeguard.errors import ProblemError
from safeguard.fieldcrypt.setup import FieldsDep
from safeguard.web import PoolDep
from services.intake import store
from services.intake.contacts import referral_contacts
from services.intake.deps import require_service_token
from services.intake.models import ReferralContacts
from services.intake.sealed import open_form

internal_router = APIRouter(
    prefix="/internal/v1",
    include_in_schema=False,
    dependencies=[Depends(require_service_token)],
)


class LinkedReferral(BaseModel):
    """An earlier referral of the same person."""

    referral_id: UUID
    reference: str
    received_at: datetime


class StoredReferral(BaseModel):
    """A referral as submitted, for the services that assess it (internal only)."""

    referral_id: UUID
    reference: str
    received_at: datetime
    area: str
    form: dict[str, Any]
    linked_referrals: list[LinkedReferral]


@internal_router.get("/referrals/{referral_id}/contacts")
async def get_contacts(referral_id: UUID, pool: PoolDep, fields: FieldsDep) -> ReferralContacts:
    """Contact details needed to notify about a case."""
    return await referral_contacts(pool, fields.keyring, referral_id=referral_id)


@internal_router.get("/referrals/{referral_id}")
async def get_referral(referral_id: UUID, pool: PoolDep, fields: FieldsDep) -> StoredReferral:
    """The stored referral form and the earlier referrals linked to it; 410 once redacted."""
    async with pool.acquire() as conn:
        row = await store.referral_row(conn, referral_id=referral_id)
        form = await open_form(conn, fields.keyring, row) if row else None
        links = await store.linked_rows(conn, referral_id=referral_id) if row else []
    if row is None:
        raise ProblemError(404, "Unknown referral", f"No referral has id {referral_id}.")
    if row["redacted_at"] is not None or form is None:
        raise ProblemError(410, "Referral redacted", "Its personal data has been erased.")
    return StoredReferral(
        referral_id=row["id"],
        reference=row["reference"],
        received_at=row["received_at"],
        area=row["area"],
        form=form,
        linked_referrals=[LinkedReferral.model_validate(dict(link)) for link in links],
    )
