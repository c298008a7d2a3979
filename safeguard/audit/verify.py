"""Checking the audit chain: the first edited, inserted or deleted row, if any."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal

import asyncpg

from safeguard.audit.chain import GENESIS, Entry, head_mac, row_hash
from safeguard.db.pool import Connection

Tampering = Literal["edited", "inserted", "deleted"]
_PAGE = 5_000


@dataclass(frozen=True)
class Finding:
    """What is wrong, and at which sequence number."""

    kind: Tampering
    seq: int
    explanation: str


@dataclass(frozen=True)
class Verification:
    """The outcome of one pass over the chain."""

    rows: int
    head_seq: int
    finding: Finding | None

    @property
    def intact(self) -> bool:
        """Whether nothing was found."""
        return self.finding is None


@dataclass(frozen=True)
class _Row:
    seq: int
    prev_hash: bytes
    hash: bytes
    valid: bool


async def _rows(conn: Connection, key: bytes) -> AsyncIterator[_Row]:
    """Every row in sequence order, each with whether its own HMAC holds."""
    after = -(2**63)
    while True:
        page = await conn.fetch(
            "SELECT seq, at, kind, action, actor, role, referral_id, detail, prev_hash, hash"
            " FROM audit.chain WHERE seq > $1 ORDER BY seq LIMIT $2",
            after,
            _PAGE,
        )
        for record in page:
            yield _row(record, key)
        if len(page) < _PAGE:
            return
        after = page[-1]["seq"]


def _row(record: asyncpg.Record, key: bytes) -> _Row:
    entry = Entry(
        kind=record["kind"],
        action=record["action"],
        actor=record["actor"],
        role=record["role"],
        referral_id=record["referral_id"],
        detail=record["detail"],
    )
    prev, stored = bytes(record["prev_hash"]), bytes(record["hash"])
    expected = row_hash(key, prev, record["at"], entry)
    return _Row(record["seq"], prev, stored, hmac.compare_digest(expected, stored))


def _judge(
    row: _Row, after: _Row | None, prev_hash: bytes, prev_seq: int, head_seq: int
) -> Finding | None:
    """Why `row` does not continue the chain from `prev_hash`, if it does not."""
    links = row.prev_hash == prev_hash
    if row.valid and links:
        return None
    if row.valid:
        # A genuine row whose predecessor is gone.
        return Finding("deleted", prev_seq + 1, f"rows after {prev_seq} are missing")
    if row.seq > head_seq or (after is not None and after.prev_hash == prev_hash):
        # The chain carries on past it as if it were not there: it was never part of it.
        return Finding("inserted", row.seq, f"row {row.seq} was not written by the audit log")
    return Finding("edited", row.seq, f"row {row.seq} no longer matches its hash")


async def verify(
    conn: Connection, *, key: bytes, progress: Callable[[int], None] | None = None
) -> Verification:
    """Walk the chain from its start; stop at the first broken row."""
    head = await conn.fetchrow("SELECT seq, hash, mac FROM audit.chain_head")
    head_seq = head["seq"] if head else 0
    prev_hash, prev_seq, count = GENESIS, 0, 0
    pending: _Row | None = None
    async for row in _rows(conn, key):
        if pending is not None:
            finding = _judge(pending, row, prev_hash, prev_seq, head_seq)
            if finding:
                return Verification(count, head_seq, finding)
            prev_hash, prev_seq = pending.hash, pending.seq
            count += 1
            if progress:
                progress(count)
        pending = row
    if pending is not None:
        finding = _judge(pending, None, prev_hash, prev_seq, head_seq)
        if finding:
            return Verification(count, head_seq, finding)
        prev_hash, prev_seq = pending.hash, pending.seq
        count += 1
    if head and not hmac.compare_digest(
        head_mac(key, head_seq, bytes(head["hash"])), bytes(head["mac"])
    ):
        return Verification(count, head_seq, Finding("edited", head_seq, "the head was altered"))
    if prev_seq < head_seq or (head and prev_hash != bytes(head["hash"])):
        return Verification(
            count,
            head_seq,
            Finding("deleted", prev_seq + 1, f"the chain ends at {prev_seq}, not {head_seq}"),
        )
    return Verification(count, head_seq, None)
