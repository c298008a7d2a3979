"""SQL of partners' follow-up information (`intake.information`) and the referral it is for."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from safeguard.db.pool import Connection


async def own_referral(
    conn: Connection, *, reference: str, client_id: str
) -> asyncpg.Record | None:
    """The referral, if this client made it: its id, area as it stands and whether it ended."""
    return await conn.fetchrow(
        "SELECT id, reference, coalesce(case_area, area) AS area, closed_at, redacted_at"
        " FROM intake.referrals WHERE reference = $1 AND client_id = $2",
        reference,
        client_id,
    )


async def claim(
    conn: Connection,
    *,
    information_id: UUID,
    referral_id: UUID,
    client_id: str,
    key: str,
    request_hash: bytes,
) -> bool:
    """Claim the client's key for new information; False if it was already used."""
    claimed = await conn.fetchval(
        "INSERT INTO intake.information (id, referral_id, client_id, idempotency_key,"
        " request_hash) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
        information_id,
        referral_id,
        client_id,
        key,
        request_hash,
    )
    return bool(claimed)


async def earlier(conn: Connection, *, client_id: str, key: str) -> asyncpg.Record | None:
    """What a used key made."""
    return await conn.fetchrow(
        "SELECT i.id, i.request_hash, i.received_at, i.attachment_ids, r.reference"
        " FROM intake.information i JOIN intake.referrals r ON r.id = i.referral_id"
        " WHERE i.client_id = $1 AND i.idempotency_key = $2",
        client_id,
        key,
    )


async def complete(
    conn: Connection, *, information_id: UUID, text_sealed: bytes, attachment_ids: list[UUID]
) -> datetime:
    """Store the sealed text and the attachments it brings; when it was received."""
    at: datetime = await conn.fetchval(
        "UPDATE intake.information SET text_sealed = $2, attachment_ids = $3"
        " WHERE id = $1 RETURNING received_at",
        information_id,
        text_sealed,
        attachment_ids,
    )
    return at


async def set_case_area(conn: Connection, *, referral_id: UUID, area: str) -> None:
    """The case moved area (a transfer, or placed out of triage)."""
    await conn.execute(
        "UPDATE intake.referrals SET case_area = $2 WHERE id = $1", referral_id, area
    )


async def erase(conn: Connection, *, referral_id: UUID) -> None:
    """The information's text and the client's keys go with the case."""
    await conn.execute("DELETE FROM intake.information WHERE referral_id = $1", referral_id)
