"""Who read a case: its access-log rows, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from safeguard.audit import purposes
from safeguard.db.pool import Connection


class CaseRead(BaseModel):
    """One read of the case's data: when, who, their role, through which service, which
    fields, and the purpose they stated."""

    at: datetime
    subject: str
    role: str
    service: str
    fields: list[str]
    # None once the case is erased (at `purpose_erased_at`): it may have named the person.
    purpose: str | None
    purpose_erased_at: datetime | None = None
    # Whether the purpose shown is the one the read's audit-log entry committed to (None when
    # there is nothing to check: erased, or logged before entries held a digest).
    purpose_matches_log: bool | None = None
    action: str
    # Its number in the audit log (`safeguard audit prove`); None until the sequencer numbers
    # it (within a second), or for a read logged before the log existed.
    entry: int | None


async def page_of_reads(
    conn: Connection, referral_id: UUID, *, limit: int, offset: int = 0
) -> tuple[int, list[CaseRead]]:
    """How many reads the case has had, and one page of them, newest first."""
    total: int = await conn.fetchval(
        "SELECT count(*) FROM audit.access_log WHERE referral_id = $1", referral_id
    )
    rows = await conn.fetch(
        "SELECT a.at, a.subject, a.role, a.service, a.fields, a.purpose, a.purpose_erased_at,"
        " a.purpose_salt, e.detail ->> $4 AS digest, a.action, e.seq AS entry"
        " FROM audit.access_log AS a"
        " LEFT JOIN audit.log_entries AS e ON e.id = a.log_entry_id"
        " WHERE a.referral_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2 OFFSET $3",
        referral_id,
        limit,
        offset,
        purposes.DIGEST,
    )
    return total, [_read(dict(row)) for row in rows]


def _read(row: dict[str, Any]) -> CaseRead:
    salt, digest = row.pop("purpose_salt"), row.pop("digest")
    if salt is not None and digest is not None and row["purpose"] is not None:
        row["purpose_matches_log"] = purposes.matches(digest, bytes(salt), row["purpose"])
    return CaseRead.model_validate(row)
