"""SQL of the dispatcher's bookkeeping: leases on what it sends, and an attempt log kept ahead.

A dispatcher claims a notification under a short lease in its own name, and the same statement
logs the attempt (number and start, no outcome yet) and commits before anything is sent. So a
crash mid-send leaves the attempt in the log with no outcome; when the lease runs out, another
dispatcher (or the restarted one) takes the notification back and marks the attempt
`interrupted`. A dispatcher renews its leases while it sends, never anyone else's, and records
an outcome on the notification only while the lease is still its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from uuid import UUID

from safeguard.db.pool import Connection
from services.notifications.models import Claimed, Status

Outcome = Literal["delivered", "retry", "failed"]
_STATUS: dict[Outcome, Status] = {"delivered": "delivered", "retry": "retrying", "failed": "failed"}


@dataclass(frozen=True)
class Interrupted:
    """An attempt whose dispatcher stopped before recording its outcome."""

    notification_id: UUID
    attempt: int


async def take_back_interrupted(conn: Connection) -> list[Interrupted]:
    """Requeue every `sending` notification whose lease ran out; mark its attempt interrupted.

    A lease runs out only if its holder stopped renewing it (the process died or hung), so a
    live dispatcher's sends are never taken. The attempt row is written if missing: a row
    claimed by a version that logged attempts only afterwards.
    """
    rows = await conn.fetch(
        "WITH taken AS ("
        "  UPDATE notifications.notifications SET status = 'retrying', lease_holder = NULL,"
        "   lease_until = NULL, next_attempt_at = now(), updated_at = now()"
        "  WHERE id IN (SELECT id FROM notifications.notifications"
        "    WHERE status = 'sending' AND lease_until < now() FOR UPDATE SKIP LOCKED)"
        "  RETURNING id, attempts, channel),"
        " marked AS ("
        "  INSERT INTO notifications.delivery_attempts AS a"
        "   (notification_id, attempt, channel, outcome, at)"
        "  SELECT id, attempts, channel, 'interrupted', now() FROM taken"
        "  ON CONFLICT (notification_id, attempt) DO UPDATE SET outcome = 'interrupted', at = now()"
        "   WHERE a.outcome IS NULL)"
        " SELECT id, attempts FROM taken ORDER BY id"
    )
    return [Interrupted(row["id"], row["attempts"]) for row in rows]


async def claim_due(
    conn: Connection, *, limit: int, lease: timedelta, holder: UUID
) -> list[Claimed]:
    """Take up to `limit` due notifications under `holder`'s lease, logging each attempt."""
    rows = await conn.fetch(
        "WITH claimed AS ("
        "  UPDATE notifications.notifications SET status = 'sending', attempts = attempts + 1,"
        "   lease_holder = $3, lease_until = now() + $2::interval, updated_at = now()"
        "  WHERE id IN (SELECT id FROM notifications.notifications"
        "    WHERE status IN ('pending', 'retrying') AND next_attempt_at <= now()"
        "    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        "  RETURNING id, referral_id, recipient, template, params, attempts, channel,"
        "   attempts_before_resend),"
        " logged AS ("
        "  INSERT INTO notifications.delivery_attempts (notification_id, attempt, channel, at)"
        "  SELECT id, attempts, channel, NULL FROM claimed)"
        " SELECT id, referral_id, recipient, template, params, attempts, attempts_before_resend"
        " FROM claimed",
        limit,
        lease,
        holder,
    )
    return [Claimed.model_validate(dict(row)) for row in rows]


async def begin_send(
    conn: Connection, *, claimed: Claimed, channel: str, holder: UUID, routed_to: str | None
) -> bool:
    """Note the channel the attempt goes out on, and the recipient reached in place of the one
    named (None: the one named); False if the lease is no longer `holder`'s.

    Checked just before sending, so a dispatcher that lost its lease while resolving the
    recipient does not send alongside the one that took the notification over. Each attempt
    sets `routed_to` afresh: a retry after the missing entry was added reaches the recipient.
    """
    still_ours: bool | None = await conn.fetchval(
        "WITH held AS ("
        "  UPDATE notifications.notifications SET channel = $3, routed_to = $5,"
        "   updated_at = now()"
        "  WHERE id = $1 AND attempts = $2 AND status = 'sending' AND lease_holder = $4"
        "  RETURNING id),"
        " noted AS ("
        "  UPDATE notifications.delivery_attempts SET channel = $3"
        "  WHERE notification_id IN (SELECT id FROM held) AND attempt = $2)"
        " SELECT EXISTS (SELECT 1 FROM held)",
        claimed.id,
        claimed.attempts,
        channel,
        holder,
        routed_to,
    )
    return bool(still_ours)


async def renew(conn: Connection, *, ids: list[UUID], lease: timedelta, holder: UUID) -> int:
    """Extend `holder`'s leases on `ids`; return how many are still its own."""
    renewed: int = await conn.fetchval(
        "WITH renewed AS (UPDATE notifications.notifications"
        "  SET lease_until = now() + $2::interval"
        "  WHERE id = ANY($1::uuid[]) AND status = 'sending' AND lease_holder = $3 RETURNING 1)"
        " SELECT count(*) FROM renewed",
        ids,
        lease,
        holder,
    )
    return renewed


async def finish_attempt(
    conn: Connection,
    *,
    claimed: Claimed,
    holder: UUID,
    channel: str,
    outcome: Outcome,
    error: str | None,
    retry_in: timedelta = timedelta(0),
) -> bool:
    """Record an attempt's outcome; set the notification's status if the lease is still ours.

    The attempt's own row always gets what really happened (even over `interrupted`). False
    if another dispatcher took the notification over meanwhile: its status is then theirs.
    """
    async with conn.transaction():
        await conn.execute(
            "UPDATE notifications.delivery_attempts SET channel = $3, outcome = $4, error = $5,"
            " at = now() WHERE notification_id = $1 AND attempt = $2"
            " AND (outcome IS NULL OR outcome = 'interrupted')",
            claimed.id,
            claimed.attempts,
            channel,
            outcome,
            error,
        )
        status = await conn.execute(
            "UPDATE notifications.notifications SET status = $3, channel = $4, last_error = $5,"
            " lease_holder = NULL, lease_until = NULL, next_attempt_at = now() + $6::interval,"
            " updated_at = now(), delivered_at = CASE WHEN $3 = 'delivered' THEN now() END"
            " WHERE id = $1 AND attempts = $2 AND status = 'sending' AND lease_holder = $7",
            claimed.id,
            claimed.attempts,
            _STATUS[outcome],
            channel,
            error,
            retry_in,
            holder,
        )
    return status != "UPDATE 0"
