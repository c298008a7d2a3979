"""Officers' documents on a case: attach, list and download within the cases they may see.

Officers attach, and may mark a document police-only; auditors read, police auditors the
police-only ones too (`safeguard.police_only`). A case outside the caller's areas answers as
an unknown one; every list and download is a logged read with its stated purpose.
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
from safeguard.db.pool import Pool
from safeguard.errors import ProblemError
from safeguard.police_only import sees_police_only
from safeguard.web import PoolDep
from services.assessment import store
from services.assessment.access import SERVICE, Officer, Reader, receives, sees_case

router = APIRouter(prefix="/v1/cases/{reference}/attachments", tags=["attachments"])
Purpose = Annotated[str, Depends(stated_purpose)]


async def _case(pool: Pool, principal: StaffPrincipal, reference: str) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await store.case_by_reference(conn, reference)
    if row is None or not (
        sees_case(principal, row["area"]) or receives(principal, row["transfer_to"])
    ):
        raise ProblemError(404, "Unknown case", "No case with that reference in your areas.")
    return row


def _viewer(principal: StaffPrincipal) -> Viewer:
    return Viewer(police=sees_police_only(principal))


def _base(reference: str) -> str:
    return f"/v1/cases/{reference}/attachments"


@router.post(
    "", status_code=201, openapi_extra=upload_body(police_only=True), responses=UPLOAD_RESPONSES
)
async def attach(
    reference: str,
    request: Request,
    principal: Officer,
    pool: PoolDep,
    attachments: AttachmentsDep,
) -> AttachmentRead:
    """Attach a document to the case (a form with `file`, `document_type`, `title` and
    optionally `police_only`); it is checked and scanned before it is stored."""
    case = await _case(pool, principal, reference)
    return await attachments.upload(
        pool,
        request,
        referral_id=case["referral_id"],
        uploader=Uploader(subject=principal.subject, role=principal.role.value, via=SERVICE),
        may_mark_police_only=sees_police_only(principal),
        base_url=_base(reference),
    )


@router.get("")
async def list_attachments(
    reference: str,
    principal: Reader,
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
    principal: Reader,
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
