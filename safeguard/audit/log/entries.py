"""Writing to the audit log: every case action and every read of case data.

A writer only inserts its entry, in its own transaction, so nothing it did can commit
unrecorded, and no writer waits for another: there is no shared lock and no chain head. The
sequencer (`safeguard.audit.log.sequencer`) numbers committed entries later and puts them in
the Merkle tree, whose signed checkpoints make any later change to them evident.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from safeguard.db.pool import Connection


@dataclass(frozen=True)
class Entry:
    """One thing to record: who did or read what, on which case."""

    kind: str  # action | read | audit
    action: str
    actor: str
    role: str
    referral_id: UUID | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def leaf_bytes(at: datetime, entry: Entry, chain: dict[str, Any] | None = None) -> bytes:
    """The entry as the tree holds it: canonical JSON (sorted keys, no spaces, UTF-8)."""
    content: dict[str, Any] = {
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "kind": entry.kind,
        "action": entry.action,
        "actor": entry.actor,
        "role": entry.role,
        "referral_id": str(entry.referral_id) if entry.referral_id else None,
        "detail": entry.detail,
    }
    if chain is not None:
        content["chain"] = chain
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# Parameters $1 to $7 are `parameters(entry)`; callers may add statements around it (a CTE).
INSERT = (
    "INSERT INTO audit.log_entries (at, kind, action, actor, role, referral_id, detail)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
)


def parameters(entry: Entry) -> tuple[Any, ...]:
    """The values of `INSERT` for `entry`, stamped now."""
    # JSON round-trips through jsonb unchanged only for JSON-native values: normalise first.
    detail = json.loads(json.dumps(entry.detail, default=str))
    return (
        datetime.now(UTC),
        entry.kind,
        entry.action,
        entry.actor,
        entry.role,
        entry.referral_id,
        detail,
    )


async def append(conn: Connection, entry: Entry) -> int:
    """Add `entry` to the log in the caller's transaction; return its id (its number in the
    tree, `seq`, comes when the sequencer takes it)."""
    entry_id: int = await conn.fetchval(INSERT, *parameters(entry))
    return entry_id
