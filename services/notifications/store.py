"""SQL of the notifications service (schema `notifications`)."""

from __future__ import annotations

from uuid import UUID

from safeguard.db.pool import Connection
from services.notifications.models import NotificationRead


async def record(
    conn: Connection,
    *,
    notification_id: UUID,
    event_id: UUID,
    referral_id: UUID,
    recipient_role: str,
    template: str,
    channel: str,
) -> None:
    """Record a notification to send; one per event and template."""
    await conn.execute(
        "INSERT INTO notifications.notifications"
        " (id, event_id, referral_id, recipient_role, template, channel, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, 'pending') ON CONFLICT (event_id, template) DO NOTHING",
        notification_id,
        event_id,
        referral_id,
        recipient_role,
        template,
        channel,
    )


async def list_for_referral(conn: Connection, *, referral_id: UUID) -> list[NotificationRead]:
    """The delivery log of one referral, oldest first."""
    rows = await conn.fetch(
        "SELECT id, event_id, referral_id, recipient_role, template, channel, status, created_at"
        " FROM notifications.notifications WHERE referral_id = $1 ORDER BY created_at, id",
        referral_id,
    )
    return [NotificationRead.model_validate(dict(row)) for row in rows]
