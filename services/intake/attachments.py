"""Routes for a partner's documents and follow-up information about its own referrals.

A partner attaches to its own referral only, and lists and downloads only what it attached
itself: the case's other documents are the case workers'. Another client's referral answers
as an unknown one.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Request, Response

from safeguard.access_log import record_reader_read
from safeguard.attachments.http import DOWNLOAD_RESPONSES, UPLOAD_RESPONSES, upload_body
from safeguard.attachments.models import AttachmentRead
from safeguard.attachments.service import AttachmentsDep, Uploader, Viewer
from safeguard.auth.credentials import Caller
from safeguard.fieldcrypt.setup import FieldsDep
from safeguard.web import PoolDep
from services.intake import information
from services.intake.deps import ConnectionDep, ReaderDep, SubmitterDep, UploaderDep, require_json
from services.intake.models import InformationAccepted, InformationCreate
from services.intake.openapi import INFORMATION_RESPONSES, PARTNER_READ_RESPONSES
from services.intake.routes import IdempotencyKey
from services.intake.store import SERVICE

router = APIRouter(prefix="/v1/referrals/{reference}", tags=["referrals"])

# A partner reading back what it sent states no purpose; the log still names it and the file.
PARTNER_PURPOSE = "the referring agency read back a document it attached"


def _base(reference: str) -> str:
    return f"/v1/referrals/{reference}/attachments"


def _own(caller: Caller) -> Viewer:
    return Viewer(police=False, own_only=caller.client_id)


@router.post(
    "/attachments",
    status_code=201,
    openapi_extra=upload_body(police_only=False),
    responses=UPLOAD_RESPONSES | PARTNER_READ_RESPONSES,
)
async def attach(
    reference: str,
    request: Request,
    caller: UploaderDep,
    pool: PoolDep,
    attachments: AttachmentsDep,
) -> AttachmentRead:
    """Attach a document to your referral (a form with `file`, `document_type` and `title`);
    it is checked and scanned before it is stored. Name it in new information to tell the
    case's officers of it."""
    async with pool.acquire() as conn:
        referral = await information.open_referral(conn, caller=caller, reference=reference)
    return await attachments.upload(
        pool,
        request,
        referral_id=referral["id"],
        uploader=Uploader(subject=caller.client_id, role=caller.kind.value, via=SERVICE),
        may_mark_police_only=False,
        base_url=_base(reference),
    )


@router.get("/attachments", responses=PARTNER_READ_RESPONSES)
async def list_attachments(
    reference: str, caller: ReaderDep, conn: ConnectionDep, attachments: AttachmentsDep
) -> list[AttachmentRead]:
    """The documents you attached to your referral."""
    async with conn.transaction():
        referral = await information.own_referral_or_404(conn, caller=caller, reference=reference)
        listed = await attachments.listing(
            conn, referral_id=referral["id"], viewer=_own(caller), base_url=_base(reference)
        )
        if listed:
            await record_reader_read(
                conn,
                service=SERVICE,
                reader=(caller.client_id, caller.kind.value),
                referral_id=referral["id"],
                fields=["attachments"],
                purpose=PARTNER_PURPOSE,
            )
    return listed


@router.get(
    "/attachments/{attachment_id}",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES | PARTNER_READ_RESPONSES,
)
async def download_attachment(
    reference: str,
    attachment_id: UUID,
    caller: ReaderDep,
    conn: ConnectionDep,
    attachments: AttachmentsDep,
) -> Response:
    """One document you attached, as a download."""
    referral = await information.own_referral_or_404(conn, caller=caller, reference=reference)
    return await attachments.download(
        conn,
        referral_id=referral["id"],
        attachment_id=attachment_id,
        viewer=_own(caller),
        reader=(caller.client_id, caller.kind.value),
        service=SERVICE,
        purpose=PARTNER_PURPOSE,
    )


@router.post(
    "/information",
    status_code=201,
    responses=INFORMATION_RESPONSES,
    dependencies=[Depends(require_json)],
)
async def send_information(
    reference: str,
    body: Annotated[InformationCreate, Body()],
    caller: SubmitterDep,
    conn: ConnectionDep,
    fields: FieldsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> InformationAccepted:
    """New information about your referral, with documents you uploaded for it: the case's
    officers are told and may reassess. Idempotent as submissions are."""
    sent = await information.send_information(
        conn,
        caller=caller,
        reference=reference,
        body=body,
        idempotency_key=idempotency_key,
        keyring=fields.keyring,
    )
    if sent.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return sent.accepted
