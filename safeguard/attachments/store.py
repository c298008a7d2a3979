"""SQL of the attachment records (`attachments.attachments`, `attachments.erased`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from safeguard.db.pool import Connection


@dataclass(frozen=True)
class NewAttachment:
    """A row to insert, its personal fields already sealed."""

    id: UUID
    referral_id: UUID
    uploaded_by: str
    uploaded_role: str
    uploaded_via: str
    document_type: str
    police_only: bool
    title_sealed: bytes
    file_name_sealed: bytes
    media_type: str
    size_bytes: int
    sha256: bytes
    object_key: str
    information_id: UUID | None


async def insert(conn: Connection, row: NewAttachment) -> datetime:
    """Record an attachment whose object is stored; its upload time."""
    at: datetime = await conn.fetchval(
        "INSERT INTO attachments.attachments (id, referral_id, uploaded_by, uploaded_role,"
        " uploaded_via, document_type, police_only, title_sealed, file_name_sealed, media_type,"
        " size_bytes, sha256, object_key, information_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        " RETURNING uploaded_at",
        row.id,
        row.referral_id,
        row.uploaded_by,
        row.uploaded_role,
        row.uploaded_via,
        row.document_type,
        row.police_only,
        row.title_sealed,
        row.file_name_sealed,
        row.media_type,
        row.size_bytes,
        row.sha256,
        row.object_key,
        row.information_id,
    )
    return at


async def of_case(
    conn: Connection, *, referral_id: UUID, police: bool, uploaded_by: str | None
) -> list[asyncpg.Record]:
    """The case's attachments the reader may see, oldest first."""
    return list(
        await conn.fetch(
            "SELECT * FROM attachments.attachments WHERE referral_id = $1"
            " AND (police_only = false OR $2) AND ($3::text IS NULL OR uploaded_by = $3)"
            " ORDER BY uploaded_at, id",
            referral_id,
            police,
            uploaded_by,
        )
    )


async def one(
    conn: Connection,
    *,
    referral_id: UUID,
    attachment_id: UUID,
    police: bool,
    uploaded_by: str | None,
) -> asyncpg.Record | None:
    """One attachment of the case, if the reader may see it."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM attachments.attachments WHERE referral_id = $1 AND id = $2"
        " AND (police_only = false OR $3) AND ($4::text IS NULL OR uploaded_by = $4)",
        referral_id,
        attachment_id,
        police,
        uploaded_by,
    )
    return row


async def attach_to_information(
    conn: Connection, *, referral_id: UUID, uploaded_by: str, ids: list[UUID], information_id: UUID
) -> int:
    """Link the uploader's own, still unlinked attachments of the case to its information."""
    result: str = await conn.execute(
        "UPDATE attachments.attachments SET information_id = $4"
        " WHERE referral_id = $1 AND uploaded_by = $2 AND id = ANY($3::uuid[])"
        " AND (information_id IS NULL OR information_id = $4)",
        referral_id,
        uploaded_by,
        ids,
        information_id,
    )
    return int(result.split()[-1])


async def object_keys(conn: Connection, referral_id: UUID) -> list[str]:
    """Every object of the case."""
    rows = await conn.fetch(
        "SELECT object_key FROM attachments.attachments WHERE referral_id = $1", referral_id
    )
    return [row["object_key"] for row in rows]


async def erase(conn: Connection, referral_id: UUID, *, objects: int) -> None:
    """Drop the case's rows, keeping only how many objects went and when."""
    await conn.execute("DELETE FROM attachments.attachments WHERE referral_id = $1", referral_id)
    await conn.execute(
        "INSERT INTO attachments.erased (referral_id, objects) VALUES ($1, $2)"
        " ON CONFLICT (referral_id) DO UPDATE SET objects = attachments.erased.objects"
        " + EXCLUDED.objects",
        referral_id,
        objects,
    )
