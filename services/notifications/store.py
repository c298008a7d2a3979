"""SQL of the delivery log (schema `notifications`): what to send, and what became of it."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from safeguard.db.pool import Connection
from services.notifications.models import (
    AttemptRead,
    NotificationDetail,
    NotificationRead,
    Status,
)

WAKE_CHANNEL = "safeguard_notifications"


async def record(
    conn: Connection,
    *,
    notification_id: UUID,
    event_id: UUID,
    referral_id: UUID,
    recipient_role: str,
    recipient: str,
    template: str,
    params: dict[str, str],
) -> None:
    """Record a notification to send; one per event, template and recipient."""
    await conn.execute(
        "INSERT INTO notifications.notifications (id, event_id, referral_id, recipient_role,"
        " recipient, template, params, channel, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 'pending')"
        " ON CONFLICT (event_id, template, recipient) DO NOTHING",
        notification_id,
        event_id,
        referral_id,
        recipient_role,
        recipient,
        template,
        params,
    )


async def wake_dispatcher(conn: Connection) -> None:
    """Tell listening dispatchers (on commit) that there is something to send."""
    await conn.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)


# The log joined to the case's reference and area; `$1` is the visible areas (NULL: all).
_LOG = (
    "SELECT n.id, n.event_id, n.referral_id, c.reference, n.recipient_role, n.recipient,"
    " n.routed_to, n.template, n.channel, n.status, n.attempts, n.last_error, n.created_at,"
    " n.delivered_at"
    " FROM notifications.notifications n"
    " LEFT JOIN notifications.cases c ON c.referral_id = n.referral_id"
    " WHERE ($1::text[] IS NULL OR c.area = ANY($1::text[]))"
)


async def list_notifications(
    conn: Connection,
    *,
    areas: Sequence[str] | None,
    referral_id: UUID | None,
    status: Status | None,
    template: str | None,
    limit: int,
    offset: int,
) -> list[NotificationRead]:
    """Delivery log entries of cases in `areas` (None: all) matching every filter, oldest first."""
    rows = await conn.fetch(
        f"{_LOG} AND ($2::uuid IS NULL OR n.referral_id = $2)"
        " AND ($3::text IS NULL OR n.status = $3) AND ($4::text IS NULL OR n.template = $4)"
        " ORDER BY n.created_at, n.template, n.recipient LIMIT $5 OFFSET $6",
        _areas(areas),
        referral_id,
        status,
        template,
        limit,
        offset,
    )
    return [NotificationRead.model_validate(dict(row)) for row in rows]


async def get_notification(
    conn: Connection, *, notification_id: UUID, areas: Sequence[str] | None
) -> NotificationDetail | None:
    """One delivery log entry of a case in `areas` (None: all) with its attempts, or None."""
    row = await conn.fetchrow(f"{_LOG} AND n.id = $2", _areas(areas), notification_id)
    if row is None:
        return None
    attempts = await conn.fetch(
        "SELECT attempt, channel, outcome, error, started_at, at"
        " FROM notifications.delivery_attempts"
        " WHERE notification_id = $1 ORDER BY attempt",
        notification_id,
    )
    return NotificationDetail.model_validate(
        dict(row) | {"attempts_log": [AttemptRead.model_validate(dict(a)) for a in attempts]}
    )


def _areas(areas: Sequence[str] | None) -> list[str] | None:
    return None if areas is None else list(areas)
