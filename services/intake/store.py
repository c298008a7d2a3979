"""SQL of the intake service (schema `intake`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from safeguard.db.pool import Connection


async def next_reference(conn: Connection, *, year: int) -> str:
    """Issue the next `PRV-<year>-<serial>` reference inside the caller's transaction."""
    serial = await conn.fetchval(
        "INSERT INTO intake.reference_counters (year, last_serial) VALUES ($1, 1)"
        " ON CONFLICT (year) DO UPDATE SET last_serial = intake.reference_counters.last_serial + 1"
        " RETURNING last_serial",
        year,
    )
    return f"PRV-{year}-{serial:06d}"


async def insert_referral(
    conn: Connection,
    *,
    referral_id: UUID,
    reference: str,
    received_at: datetime,
    sector: str,
    concern_type: str,
    form: dict[str, Any],
    workflow_id: str,
) -> None:
    """Store a submitted referral."""
    await conn.execute(
        "INSERT INTO intake.referrals"
        " (id, reference, received_at, sector, concern_type, form, workflow_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        referral_id,
        reference,
        received_at,
        sector,
        concern_type,
        form,
        workflow_id,
    )


async def mark_started(conn: Connection, *, referral_id: UUID) -> None:
    """Record that the referral's workflow is running."""
    await conn.execute(
        "UPDATE intake.referrals SET workflow_started_at = now() WHERE id = $1", referral_id
    )


async def started_at(conn: Connection, *, reference: str) -> tuple[bool, datetime | None]:
    """Whether the reference exists, and when its workflow started."""
    row = await conn.fetchrow(
        "SELECT workflow_started_at FROM intake.referrals WHERE reference = $1", reference
    )
    if row is None:
        return False, None
    return True, row["workflow_started_at"]
