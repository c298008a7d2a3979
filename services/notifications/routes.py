"""HTTP routes of the notifications service: the delivery log and the recipient directory."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response

from safeguard.auth.service_token import token_matches
from safeguard.errors import ProblemError
from safeguard.web import PoolDep, SettingsDep
from services.notifications import directory, store
from services.notifications.models import (
    Channel,
    DirectoryEntryRead,
    DirectoryEntryWrite,
    NotificationDetail,
    NotificationRead,
    Status,
)

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get("")
async def list_notifications(
    pool: PoolDep,
    referral_id: UUID | None = None,
    status: Status | None = None,
    template: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[NotificationRead]:
    """The delivery log, filtered by referral, status or template."""
    async with pool.acquire() as conn:
        return await store.list_notifications(
            conn,
            referral_id=referral_id,
            status=status,
            template=template,
            limit=limit,
            offset=offset,
        )


@router.get("/{notification_id}")
async def get_notification(notification_id: UUID, pool: PoolDep) -> NotificationDetail:
    """One delivery log entry with every attempt."""
    async with pool.acquire() as conn:
        found = await store.get_notification(conn, notification_id=notification_id)
    if found is None:
        raise ProblemError(404, "Unknown notification")
    return found


def _operator(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> None:
    """Directory changes need the internal service token (operators and admin tooling)."""
    if not token_matches(authorization, settings.internal_api_token):
        raise ProblemError(401, "Unauthorized", "This route needs the internal service token.")


directory_router = APIRouter(
    prefix="/v1/directory", tags=["directory"], dependencies=[Depends(_operator)]
)


@directory_router.get("")
async def list_directory(pool: PoolDep) -> list[DirectoryEntryRead]:
    """Every directory entry (webhook secrets are never shown)."""
    async with pool.acquire() as conn:
        return await directory.list_entries(conn)


@directory_router.put("/{role}/{scope}/{channel}")
async def put_directory_entry(
    role: str, scope: str, channel: Channel, entry: DirectoryEntryWrite, pool: PoolDep
) -> DirectoryEntryRead:
    """Add or replace where `role` is reached in `scope` (`*` for every scope)."""
    if channel == "webhook" and entry.webhook_secret is None:
        raise ProblemError(422, "A webhook needs a webhook_secret to sign with")
    async with pool.acquire() as conn:
        return await directory.put_entry(conn, role=role, scope=scope, channel=channel, entry=entry)


@directory_router.delete("/{role}/{scope}/{channel}", status_code=204)
async def delete_directory_entry(
    role: str, scope: str, channel: Channel, pool: PoolDep
) -> Response:
    """Remove a directory entry."""
    async with pool.acquire() as conn:
        if not await directory.delete_entry(conn, role=role, scope=scope, channel=channel):
            raise ProblemError(404, "Unknown directory entry")
    return Response(status_code=204)
