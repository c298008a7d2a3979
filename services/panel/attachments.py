"""Documents on a case in the Channel panel: chairs, panel members and providers attach within
what they may see.

Chairs (their areas) and panel members (their agendas' cases) attach, list and download the
case's documents; auditors read. An intervention provider sees a case only through its plan
items: it may attach to such a case (a provider's report, say) and reads back only what it
attached itself. Police-only documents are never shown here but to police auditors. A closed
case is read, not worked on.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Request, Response

from safeguard.access_log import stated_purpose
from safeguard.attachments.http import DOWNLOAD_RESPONSES, UPLOAD_RESPONSES, upload_body
from safeguard.attachments.models import AttachmentRead
from safeguard.attachments.service import AttachmentsDep, Uploader, Viewer
from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import require_roles
from safeguard.codes import Role
from safeguard.db.pool import Connection, Pool
from safeguard.police_only import sees_police_only
from safeguard.web import PoolDep
from services.panel import store
from services.panel.access import SERVICE, unknown_case
from services.panel.cases import CASE_ENDED, may_see, refuse_if_ended

router = APIRouter(prefix="/v1/cases/{reference}/attachments", tags=["attachments"])
Purpose = Annotated[str, Depends(stated_purpose)]
Attacher = Annotated[
    StaffPrincipal,
    Depends(require_roles(Role.CHANNEL_CHAIR, Role.PANEL_MEMBER, Role.INTERVENTION_PROVIDER)),
]
AttachmentReader = Annotated[
    StaffPrincipal,
    Depends(
        require_roles(
            Role.CHANNEL_CHAIR, Role.PANEL_MEMBER, Role.AUDITOR, Role.INTERVENTION_PROVIDER
        )
    ),
]


async def _provides_for(conn: Connection, principal: StaffPrincipal, referral_id: UUID) -> bool:
    """Whether the provider has an item in the case's current support plan."""
    if principal.provider_id is None:
        return False
    found = await conn.fetchval(
        "SELECT true FROM panel.plan_items i JOIN panel.cases c USING (referral_id)"
        " WHERE i.referral_id = $1 AND i.provider_id = $2 AND i.revision = c.plan_revision"
        " LIMIT 1",
        referral_id,
        principal.provider_id,
    )
    return bool(found)


async def _case(pool: Pool, principal: StaffPrincipal, reference: str) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await store.case_by_reference(conn, reference)
        if row is None:
            raise unknown_case(reference)
        if principal.role is Role.INTERVENTION_PROVIDER:
            seen = await _provides_for(conn, principal, row["referral_id"])
        else:
            seen = await may_see(conn, principal, row)
    if not seen:
        raise unknown_case(reference)
    return row


def _viewer(principal: StaffPrincipal) -> Viewer:
    own = principal.subject if principal.role is Role.INTERVENTION_PROVIDER else None
    return Viewer(police=sees_police_only(principal), own_only=own)


def _base(reference: str) -> str:
    return f"/v1/cases/{reference}/attachments"


@router.post(
    "",
    status_code=201,
    openapi_extra=upload_body(police_only=False),
    responses=UPLOAD_RESPONSES | CASE_ENDED,
)
async def attach(
    reference: str,
    request: Request,
    principal: Attacher,
    pool: PoolDep,
    attachments: AttachmentsDep,
) -> AttachmentRead:
    """Attach a document to the case (a form with `file`, `document_type` and `title`); it is
    checked and scanned before it is stored."""
    case = await _case(pool, principal, reference)
    refuse_if_ended(case)
    return await attachments.upload(
        pool,
        request,
        referral_id=case["referral_id"],
        uploader=Uploader(subject=principal.subject, role=principal.role.value, via=SERVICE),
        may_mark_police_only=False,
        base_url=_base(reference),
    )


@router.get("")
async def list_attachments(
    reference: str,
    principal: AttachmentReader,
    purpose: Purpose,
    pool: PoolDep,
    attachments: AttachmentsDep,
) -> list[AttachmentRead]:
    """The case's documents you may see, oldest first (the read is logged)."""
    case = await _case(pool, principal, reference)
    async with pool.acquire() as conn:
        return await attachments.logged_listing(
            conn,
            referral_id=case["referral_id"],
            viewer=_viewer(principal),
            base_url=_base(reference),
            reader=(principal.subject, principal.role.value),
            service=SERVICE,
            purpose=purpose,
        )


@router.get("/{attachment_id}", response_class=Response, responses=DOWNLOAD_RESPONSES)
async def download_attachment(
    reference: str,
    attachment_id: UUID,
    principal: AttachmentReader,
    purpose: Purpose,
    pool: PoolDep,
    attachments: AttachmentsDep,
) -> Response:
    """One document, as a download (the read is logged before it is sent)."""
    case = await _case(pool, principal, reference)
    async with pool.acquire() as conn:
        return await attachments.download(
            conn,
            referral_id=case["referral_id"],
            attachment_id=attachment_id,
            viewer=_viewer(principal),
            reader=(principal.subject, principal.role.value),
            service=SERVICE,
            purpose=purpose,
        )
