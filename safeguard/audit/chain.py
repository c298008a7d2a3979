"""The audit chain: every case action and every read of case data, hash-chained.

Each row holds an HMAC-SHA256 over the previous row's hash and its own content. Without the
key nobody can write a row that verifies, so editing a row, inserting one or deleting one
breaks the chain at that row; `verify` names the first such row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from safeguard.db.pool import Connection
from safeguard.settings import Settings, get_settings

GENESIS = b"\x00" * 32
# Appends are serialised so each row chains to the one before it.
_LOCK_KEY = 0x0A0D_17C4


@dataclass(frozen=True)
class Entry:
    """One thing to record: who did or read what, on which case."""

    kind: str  # action | read | audit
    action: str
    actor: str
    role: str
    referral_id: UUID | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def chain_key(settings: Settings | None = None) -> bytes:
    """The HMAC key from the given settings, or the process's."""
    return (settings or get_settings()).audit_chain_key.get_secret_value().encode()


def _content(at: datetime, entry: Entry) -> bytes:
    """The row's content as canonical JSON, exactly as `verify` rebuilds it from the table."""
    return json.dumps(
        {
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "kind": entry.kind,
            "action": entry.action,
            "actor": entry.actor,
            "role": entry.role,
            "referral_id": str(entry.referral_id) if entry.referral_id else None,
            "detail": entry.detail,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def row_hash(key: bytes, prev_hash: bytes, at: datetime, entry: Entry) -> bytes:
    """The HMAC that chains a row to its predecessor."""
    return hmac.new(key, prev_hash + _content(at, entry), hashlib.sha256).digest()


def head_mac(key: bytes, seq: int, hash_: bytes) -> bytes:
    """The HMAC over the head, so the head cannot be wound back to hide a deleted tail."""
    return hmac.new(key, b"head:%d:" % seq + hash_, hashlib.sha256).digest()


async def append(conn: Connection, entry: Entry, *, key: bytes | None = None) -> int:
    """Add `entry` in the caller's transaction; return its sequence number."""
    key = key or chain_key()
    # JSON round-trips through jsonb unchanged only for JSON-native values: normalise first.
    entry = Entry(**{**entry.__dict__, "detail": json.loads(json.dumps(entry.detail, default=str))})
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        head = await conn.fetchrow("SELECT seq, hash FROM audit.chain_head")
        seq, prev = (head["seq"] + 1, bytes(head["hash"])) if head else (1, GENESIS)
        at = datetime.now(UTC)
        digest = row_hash(key, prev, at, entry)
        await conn.execute(
            "INSERT INTO audit.chain (seq, at, kind, action, actor, role, referral_id, detail,"
            " prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            seq,
            at,
            entry.kind,
            entry.action,
            entry.actor,
            entry.role,
            entry.referral_id,
            entry.detail,
            prev,
            digest,
        )
        await conn.execute(
            "INSERT INTO audit.chain_head (id, seq, hash, mac) VALUES (true, $1, $2, $3)"
            " ON CONFLICT (id) DO UPDATE SET seq = $1, hash = $2, mac = $3",
            seq,
            digest,
            head_mac(key, seq, digest),
        )
    return seq
