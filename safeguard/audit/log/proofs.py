"""Proofs from the log, in the form `proofcheck` checks: inclusion of one entry in a signed
tree, and consistency between two signed trees."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from safeguard.audit.log.entries import Entry, leaf_bytes
from safeguard.audit.log.merkle import Node, NodeGetter, consistency_path, inclusion_path, needed
from safeguard.db.pool import Connection


class ProofUnavailableError(Exception):
    """No proof can be given: the reason is for the person who asked. `pending`: not yet,
    because no signed checkpoint covers the entry so far."""

    def __init__(self, reason: str, *, pending: bool = False) -> None:
        super().__init__(reason)
        self.pending = pending


async def _nodes(conn: Connection, compute: Callable[[NodeGetter], list[bytes]]) -> list[bytes]:
    """Run `compute` over the stored subtrees it needs, fetched in two queries."""
    wanted = needed(compute)
    leaves = [index for level, index in wanted if level == 0]
    inner = [(level, index) for level, index in wanted if level > 0]
    found: dict[Node, bytes] = {}
    for row in await conn.fetch(
        "SELECT seq, leaf_hash FROM audit.log_entries WHERE seq = ANY($1::bigint[])", leaves
    ):
        found[(0, row["seq"])] = bytes(row["leaf_hash"])
    for row in await conn.fetch(
        "SELECT n.level, n.index, n.hash FROM audit.log_nodes AS n"
        " JOIN unnest($1::smallint[], $2::bigint[]) AS w (level, index) USING (level, index)",
        [level for level, _ in inner],
        [index for _, index in inner],
    ):
        found[(row["level"], row["index"])] = bytes(row["hash"])
    missing = wanted - found.keys()
    if missing:
        raise ProofUnavailableError(f"the stored tree lacks subtrees {sorted(missing)[:3]}")
    return compute(lambda level, index: found[(level, index)])


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(item).decode() for item in hashes]


async def prove_inclusion(conn: Connection, seq: int) -> dict[str, Any]:
    """Entry `seq`, its leaf, and its audit path under the newest checkpoint that covers it."""
    row = await conn.fetchrow(
        "SELECT at, kind, action, actor, role, referral_id, detail, chain"
        " FROM audit.log_entries WHERE seq = $1",
        seq,
    )
    if row is None:
        raise ProofUnavailableError("no entry of that number has been sequenced")
    checkpoint = await conn.fetchrow(
        "SELECT size, note FROM audit.log_checkpoints WHERE size > $1 ORDER BY size DESC LIMIT 1",
        seq,
    )
    if checkpoint is None:
        raise ProofUnavailableError(
            "no checkpoint covers that entry yet: try again shortly", pending=True
        )
    entry = Entry(
        row["kind"], row["action"], row["actor"], row["role"], row["referral_id"], row["detail"]
    )
    leaf = leaf_bytes(row["at"], entry, row["chain"])
    size = checkpoint["size"]
    path = await _nodes(conn, lambda node: inclusion_path(seq, size, node))
    return {
        "leaf_index": seq,
        "entry": json.loads(leaf),
        "leaf": base64.b64encode(leaf).decode(),
        "path": _b64(path),
        "checkpoint": checkpoint["note"],
    }


async def prove_consistency(conn: Connection, old: int, new: int) -> dict[str, Any]:
    """The proof that the checkpointed tree of `new` entries extends that of `old`."""
    if not 0 < old <= new:
        raise ProofUnavailableError("give two checkpoint sizes, the older first")
    notes = {
        row["size"]: row["note"]
        for row in await conn.fetch(
            "SELECT size, note FROM audit.log_checkpoints WHERE size = ANY($1::bigint[])",
            [old, new],
        )
    }
    for size in (old, new):
        if size not in notes:
            raise ProofUnavailableError("there is no checkpoint of that size")
    path = await _nodes(conn, lambda node: consistency_path(old, new, node))
    return {"old": notes[old], "new": notes[new], "path": _b64(path)}
