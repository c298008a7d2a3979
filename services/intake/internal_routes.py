"""Routes for other services only: hidden from the partners' OpenAPI, each behind its own
permission (safeguard.auth.service_identity), every read of personal data in the access log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from safeguard.access_log import record_service_read
from safeguard.auth.service_deps import require_permission
from safeguard.auth.service_identity import Permission, ServicePrincipal
from safeguard.errors import ProblemError
from safeguard.fieldcrypt.setup import FieldsDep
from safeguard.web import PoolDep
from services.intake import store
from services.intake.contacts import referral_contacts
from services.intake.models import ReferralContacts
from services.intake.sealed import open_form

internal_router = APIRouter(prefix="/internal/v1", include_in_schema=False)
FormReader = Annotated[
    ServicePrincipal, Depends(require_permission(Permission.REFERRAL_FORMS_READ))
]
ContactsReader = Annotated[ServicePrincipal, Depends(require_permission(Permission.CONTACTS_READ))]


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
async def get_contacts(
    referral_id: UUID, caller: ContactsReader, pool: PoolDep, fields: FieldsDep
) -> ReferralContacts:
    """Contact details needed to notify about a case."""
    contacts = await referral_contacts(pool, fields.keyring, referral_id=referral_id)
    async with pool.acquire() as conn:
        await record_service_read(
            conn,
            service=store.SERVICE,
            caller=caller,
            referral_id=referral_id,
            fields=contact_fields(contacts),
            purpose=Permission.CONTACTS_READ.value,
        )
    return contacts


@internal_router.get("/referrals/{referral_id}")
async def get_referral(
    referral_id: UUID, caller: FormReader, pool: PoolDep, fields: FieldsDep
) -> StoredReferral:
    """The stored referral form and the earlier referrals linked to it; 410 once redacted."""
    async with pool.acquire() as conn, conn.transaction():
        row = await store.referral_row(conn, referral_id=referral_id)
        form = await open_form(conn, fields.keyring, row) if row else None
        if row is None:
            raise ProblemError(404, "Unknown referral", "No referral has that id.")
        if row["redacted_at"] is not None or form is None:
            raise ProblemError(410, "Referral redacted", "Its personal data has been erased.")
        links = await store.linked_rows(conn, referral_id=referral_id)
        # In the read's transaction: the form leaves only if its read is logged.
        await record_service_read(
            conn,
            service=store.SERVICE,
            caller=caller,
            referral_id=referral_id,
            fields=[*(f"form.{name}" for name in form), "linked_referrals"],
            purpose=Permission.REFERRAL_FORMS_READ.value,
        )
    return StoredReferral(
        referral_id=row["id"],
        reference=row["reference"],
        received_at=row["received_at"],
        area=row["area"],
        form=form,
        linked_referrals=[LinkedReferral.model_validate(dict(link)) for link in links],
    )


def contact_fields(contacts: ReferralContacts) -> list[str]:
    """The contact details an answer disclosed (those with a value), for the access log."""
    parts = {"referrer": contacts.referrer, "consent_contact": contacts.consent_contact}
    disclosed = [
        f"{part}.{name}"
        for part, model in parts.items()
        for name in ("email", "phone", "name", "postal_address")
        if getattr(model, name, None) is not None
    ]
    return disclosed + ["consent_contact.route_hint"]
