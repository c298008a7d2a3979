"""SQL of the delivery log (schema `notifications`): what to send, and what became of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal
from uuid import UUID

from safeguard.db.pool import Connection
from services.notifications.models import (
    AttemptRead,
    Claimed,
    NotificationDetail,
    NotificationRead,
    Status,
)

WAKE_CHANNEL = "safeguard_notifications"
_COLUMNS = (
    "id, event_id, referral_id, recipient_role, recipient, template, channel, status, attempts,"
    " last_error, created_at, delivered_at"
)


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


async def claim_due(conn: Connection, *, limit: int, lease: timedelta) -> list[Claimed]:
    """Take up to `limit` due notifications (and any whose sender died) to send now."""
    rows = await conn.fetch(
        "UPDATE notifications.notifications SET status = 'sending', attempts = attempts + 1,"
        " lease_until = now() + $2::interval, updated_at = now()"
        " WHERE id IN (SELECT id FROM notifications.notifications"
        "   WHERE (status IN ('pending', 'retrying') AND next_attempt_at <= now())"
        "      OR (status = 'sending' AND lease_until < now())"
        "   ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " RETURNING id, referral_id, recipient, template, params, attempts",
        limit,
        lease,
    )
    return [Claimed.model_validate(dict(row)) for row in rows]


Outcome = Literal["delivered", "retry", "failed"]
_STATUS: dict[Outcome, Status] = {"delivered": "delivered", "retry": "retrying", "failed": "failed"}


async def finish_attempt(
    conn: Connection,
    *,
    claimed: Claimed,
    channel: str,
    outcome: Outcome,
    error: str | None,
    retry_in: timedelta = timedelta(0),
) -> None:
    """Record an attempt's outcome in the log and set the notification's status."""
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO notifications.delivery_attempts"
            " (notification_id, attempt, channel, outcome, error) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT DO NOTHING",
            claimed.id,
            claimed.attempts,
            channel,
            outcome,
            error,
        )
        await conn.execute(
            "UPDATE notifications.notifications SET status = $2, channel = $3, last_error = $4,"
            " lease_until = NULL, next_attempt_at = now() + $5::interval, updated_at = now(),"
            " delivered_at = CASE WHEN $2 = 'delivered' THEN now() END WHERE id = $1",
            claimed.id,
            _STATUS[outcome],
            channel,
            error,
            retry_in,
        )


async def list_notifications(
    conn: Connection,
    *,
    referral_id: UUID | None,
    status: Status | None,
    template: str | None,
    limit: int,
    offset: int,
) -> list[NotificationRead]:
    """Delivery log entries matching every given filter, oldest first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM notifications.notifications"  # noqa: S608 - constant columns
        " WHERE ($1::uuid IS NULL OR referral_id = $1) AND ($2::text IS NULL OR status = $2)"
        " AND ($3::text IS NULL OR template = $3)"
        " ORDER BY created_at, template, recipient LIMIT $4 OFFSET $5",
        referral_id,
        status,
        template,
        limit,
        offset,
    )
    return [NotificationRead.model_validate(dict(row)) for row in rows]


async def get_notification(conn: Connection, *, notification_id: UUID) -> NotificationDetail | None:
    """One delivery log entry with its attempts, or None."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM notifications.notifications WHERE id = $1",  # noqa: S608
        notification_id,
    )
    if row is None:
        return None
    attempts = await conn.fetch(
        "SELECT attempt, channel, outcome, error, at FROM notifications.delivery_attempts"
        " WHERE notification_id = $1 ORDER BY attempt",
        notification_id,
    )
    return NotificationDetail.model_validate(
        dict(row) | {"attempts_log": [AttemptRead.model_validate(dict(a)) for a in attempts]}
    )
