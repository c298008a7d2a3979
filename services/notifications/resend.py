"""Operators send again the notifications that failed for good, once the cause is fixed.

A notification fails for good when its recipient has no directory entry, a partner's webhook
refuses it, or its retries run out. Nothing retries it after that; an operator who has fixed
the cause sends it (or every failed one) again. It goes back to the queue as `pending`, keeps
its earlier attempts, and its next ones are logged as new attempts with a fresh retry budget;
who asked and when is kept beside it.
"""

from __future__ import annotations

from uuid import UUID

from safeguard.auth.staff import StaffPrincipal
from safeguard.db.pool import Connection, Pool
from safeguard.errors import ProblemError
from services.notifications.access import visible_areas
from services.notifications.store import wake_dispatcher

# Failed notifications of cases in `$1` (NULL: every area) matching the filters, queued again.
_RESEND = (
    "WITH again AS ("
    "  UPDATE notifications.notifications n SET status = 'pending', next_attempt_at = now(),"
    "   attempts_before_resend = n.attempts, lease_holder = NULL, lease_until = NULL,"
    "   updated_at = now()"
    "  WHERE n.status = 'failed'"
    "   AND ($2::uuid IS NULL OR n.id = $2) AND ($3::uuid IS NULL OR n.referral_id = $3)"
    "   AND ($4::text IS NULL OR n.template = $4)"
    "   AND ($1::text[] IS NULL OR EXISTS (SELECT 1 FROM notifications.cases c"
    "    WHERE c.referral_id = n.referral_id AND c.area = ANY($1::text[])))"
    "  RETURNING n.id, n.attempts),"
    " kept AS ("
    "  INSERT INTO notifications.resends (notification_id, after_attempt, resent_by)"
    "  SELECT id, attempts, $5 FROM again)"
    " SELECT id FROM again ORDER BY id"
)


async def resend_failed(
    pool: Pool,
    *,
    principal: StaffPrincipal,
    referral_id: UUID | None = None,
    template: str | None = None,
) -> list[UUID]:
    """Queue again every failed notification the caller may see that matches the filters."""
    async with pool.acquire() as conn, conn.transaction():
        return await _resend(conn, principal, None, referral_id, template)


async def resend_one(pool: Pool, *, principal: StaffPrincipal, notification_id: UUID) -> None:
    """Queue one failed notification again: 404 if the caller may not see it, 409 unless it
    failed for good."""
    async with pool.acquire() as conn, conn.transaction():
        if await _resend(conn, principal, notification_id, None, None):
            return
        status = await conn.fetchval(
            "SELECT n.status FROM notifications.notifications n"
            " LEFT JOIN notifications.cases c ON c.referral_id = n.referral_id"
            " WHERE n.id = $2 AND ($1::text[] IS NULL OR c.area = ANY($1::text[]))",
            _areas(principal),
            notification_id,
        )
    if status is None:
        raise ProblemError(404, "Unknown notification", "No such notification that you may see.")
    raise ProblemError(
        409,
        "Not failed",
        f"This notification is {status}: only one that failed for good can be sent again.",
    )


async def _resend(
    conn: Connection,
    principal: StaffPrincipal,
    notification_id: UUID | None,
    referral_id: UUID | None,
    template: str | None,
) -> list[UUID]:
    rows = await conn.fetch(
        _RESEND, _areas(principal), notification_id, referral_id, template, principal.subject
    )
    if rows:
        await wake_dispatcher(conn)
    return [row["id"] for row in rows]


def _areas(principal: StaffPrincipal) -> list[str] | None:
    areas = visible_areas(principal)
    return None if areas is None else list(areas)
