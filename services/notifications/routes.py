"""HTTP routes of the notifications service: the delivery log (staff) and the directory."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from safeguard.access_log import stated_purpose
from safeguard.auth.service_deps import SERVICE_TOKEN_PROBLEMS, require_permission
from safeguard.auth.service_identity import Permission
from safeguard.errors import ProblemError
from safeguard.fieldcrypt.setup import KeyringDep
from safeguard.web import PoolDep
from services.notifications import directory, reads, resend
from services.notifications.access import Operator, Reader
from services.notifications.models import (
    Channel,
    DirectoryEntryRead,
    DirectoryEntryWrite,
    DirectoryRole,
    EmailEntryWrite,
    NotificationDetail,
    NotificationRead,
    Reference,
    ResendFilter,
    Resent,
    Status,
    WebhookEntryWrite,
)
from services.notifications.openapi import DETAIL_RESPONSES, LIST_RESPONSES, RESEND_RESPONSES
from services.notifications.reads import LogQuery

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])
_MANAGES_DIRECTORY = require_permission(Permission.DIRECTORY_MANAGE)
Purpose = Annotated[str, Depends(stated_purpose)]


@router.get("", responses=LIST_RESPONSES)
async def list_notifications(
    principal: Reader,
    purpose: Purpose,
    pool: PoolDep,
    referral_id: UUID | None = None,
    reference: Annotated[
        Reference | None, Query(description="The case's reference, as partners and staff hold it.")
    ] = None,
    status: Status | None = None,
    template: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[NotificationRead]:
    """The delivery log of the caller's areas, filtered by case, status or template."""
    query = LogQuery(
        referral_id=referral_id,
        reference=reference,
        status=status,
        template=template,
        limit=limit,
        offset=offset,
    )
    return await reads.list_log(pool, principal=principal, purpose=purpose, query=query)


@router.get("/{notification_id}", responses=DETAIL_RESPONSES)
async def get_notification(
    notification_id: UUID, principal: Reader, purpose: Purpose, pool: PoolDep
) -> NotificationDetail:
    """One delivery log entry with every attempt."""
    return await reads.read_entry(
        pool, principal=principal, purpose=purpose, notification_id=notification_id
    )


@router.post("/resend", status_code=202)
async def resend_failed(body: ResendFilter, principal: Operator, pool: PoolDep) -> Resent:
    """Send again every notification that failed for good and matches the filters (`{}`: all
    of them), once the cause is fixed; each is retried afresh and its attempts logged."""
    ids = await resend.resend_failed(
        pool, principal=principal, referral_id=body.referral_id, template=body.template
    )
    return Resent(ids=ids)


@router.post("/{notification_id}/resend", status_code=202, responses=RESEND_RESPONSES)
async def resend_notification(notification_id: UUID, principal: Operator, pool: PoolDep) -> Resent:
    """Send again one notification that failed for good, once the cause is fixed."""
    await resend.resend_one(pool, principal=principal, notification_id=notification_id)
    return Resent(ids=[notification_id])


# Its 401, 403 and 503 are the router's `SERVICE_TOKEN_PROBLEMS`: no token is a 401.
async def _operator(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Directory changes need a service token granting `directory.manage` (operators' tooling:
    the `svc-admin` client in the development realm)."""
    await _MANAGES_DIRECTORY(request, authorization)


_ROLES = (
    "Who the entry reaches: `prevent_officers` and `prevent_supervisors` (an area's Prevent"
    " officers, and the supervisors its overdue assessments are escalated to; without a"
    " supervisors entry, escalations go to the officers), `channel_panel` (an area's panel),"
    " `intervention_provider` (scope: a provider id), `partner_agency` (scope: an agency's"
    " client id, a webhook)."
)

directory_router = APIRouter(
    prefix="/v1/directory",
    tags=["directory"],
    dependencies=[Depends(_operator)],
    responses=SERVICE_TOKEN_PROBLEMS,
)


@directory_router.get("")
async def list_directory(pool: PoolDep, keyring: KeyringDep) -> list[DirectoryEntryRead]:
    """Every directory entry (webhook secrets are never shown)."""
    async with pool.acquire() as conn:
        return await directory.list_entries(conn, keyring)


# One route per channel, so each body's schema states what that channel needs.
@directory_router.put("/{role}/{scope}/email")
async def put_email_entry(
    role: Annotated[DirectoryRole, Path(description=_ROLES)],
    scope: str,
    entry: EmailEntryWrite,
    pool: PoolDep,
    keyring: KeyringDep,
) -> DirectoryEntryRead:
    """Add or replace the mailbox where `role` is reached in `scope` (`*` for every scope)."""
    return await _put(pool, keyring, role, scope, "email", entry.entry())


@directory_router.put("/{role}/{scope}/webhook")
async def put_webhook_entry(
    role: Annotated[DirectoryRole, Path(description=_ROLES)],
    scope: str,
    entry: WebhookEntryWrite,
    pool: PoolDep,
    keyring: KeyringDep,
) -> DirectoryEntryRead:
    """Add or replace the webhook where `role` is reached in `scope` (`*` for every scope)."""
    return await _put(pool, keyring, role, scope, "webhook", entry.entry())


async def _put(
    pool: PoolDep,
    keyring: KeyringDep,
    role: str,
    scope: str,
    channel: Channel,
    entry: DirectoryEntryWrite,
) -> DirectoryEntryRead:
    async with pool.acquire() as conn:
        return await directory.put_entry(
            conn, keyring, role=role, scope=scope, channel=channel, entry=entry
        )


@directory_router.delete("/{role}/{scope}/{channel}", status_code=204)
async def delete_directory_entry(
    role: str, scope: str, channel: Channel, pool: PoolDep
) -> Response:
    """Remove a directory entry."""
    async with pool.acquire() as conn:
        if not await directory.delete_entry(conn, role=role, scope=scope, channel=channel):
            raise ProblemError(404, "Unknown directory entry")
    return Response(status_code=204)
