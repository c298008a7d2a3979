"""Driving the audit log's sequencer step by step, and tampering as a database owner would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from safeguard.access_log import record_read
from safeguard.audit.log.checkpoints import Signer
from safeguard.audit.log.entries import Entry, leaf_bytes
from safeguard.audit.log.legacy import chain_key
from safeguard.audit.log.merkle import CompactRange, leaf_hash
from safeguard.audit.log.sequencer import LEADER_LOCK
from safeguard.audit.log.setup import sequencer_for, verifier_key_for, witness_for
from safeguard.audit.log.verify import Verification, verify
from safeguard.auth.staff import StaffPrincipal
from safeguard.codes import Role
from safeguard.db.pool import Connection, Pool
from safeguard.settings import Settings

OFFICER = StaffPrincipal(subject="officer-17", role=Role.PREVENT_OFFICER)


async def write_reads(pool: Pool, count: int, *, service: str, purpose: str) -> None:
    """`count` reads of one case by an officer, each in its own transaction, as routes log them;
    purposes numbered from 0."""
    referral = uuid.uuid4()
    async with pool.acquire() as conn:
        for number in range(count):
            async with conn.transaction():
                await record_read(
                    conn,
                    service=service,
                    principal=OFFICER,
                    referral_id=referral,
                    fields=["form"],
                    purpose=f"{purpose} {number}",
                )


async def sequence_all(pool: Pool, settings: Settings, *, checkpoint: bool = True) -> int:
    """Sequence every committed entry as the leader would; sign a checkpoint if `checkpoint`."""
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK)
        try:
            return await sequencer_for(pool, settings).catch_up(conn, checkpoint=checkpoint)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", LEADER_LOCK)


async def check(pool: Pool, settings: Settings) -> Verification:
    """The log verified as `safeguard audit verify` does."""
    async with pool.acquire() as conn:
        return await verify(
            conn,
            key=verifier_key_for(settings),
            witness=witness_for(settings),
            chain_key=chain_key(settings),
        )


async def rewrite_with_recomputed_tree(conn: Connection, signer: Signer | None) -> None:
    """What an owner of the database could do: recompute every leaf hash, subtree, root and
    (signing with a key of their own) checkpoint for the entries as they now stand."""
    rows = await conn.fetch(
        "SELECT id, at, kind, action, actor, role, referral_id, detail, chain"
        " FROM audit.log_entries WHERE seq IS NOT NULL ORDER BY seq"
    )
    await conn.execute("UPDATE audit.log_entries SET seq = NULL, leaf_hash = NULL")
    await conn.execute("DELETE FROM audit.log_nodes")
    tree = CompactRange()
    sizes = [row["size"] for row in await conn.fetch("SELECT size FROM audit.log_checkpoints")]
    await conn.execute("DELETE FROM audit.log_checkpoints")
    for row in rows:
        entry = Entry(
            row["kind"], row["action"], row["actor"], row["role"], row["referral_id"], row["detail"]
        )
        hash_ = leaf_hash(leaf_bytes(row["at"], entry, row["chain"]))
        await conn.execute(
            "UPDATE audit.log_entries SET seq = $1, leaf_hash = $2 WHERE id = $3",
            tree.size,
            hash_,
            row["id"],
        )
        for level, index, node in tree.append(hash_)[1:]:
            await conn.execute(
                "INSERT INTO audit.log_nodes VALUES ($1, $2, $3)", level, index, node
            )
        if signer is not None and tree.size in sizes:
            now = datetime.now(UTC)
            await conn.execute(
                "INSERT INTO audit.log_checkpoints (size, root, at, note, copied_at)"
                " VALUES ($1, $2, $3, $4, now())",
                tree.size,
                tree.root(),
                now,
                signer.sign(tree.size, tree.root(), now),
            )
    await conn.execute("UPDATE audit.log_tree SET size = $1, root = $2", tree.size, tree.root())


def forger(origin: str) -> Signer:
    """A signer under the log's name but with a key of the forger's own."""
    return Signer(origin, Ed25519PrivateKey.generate())


def checkpoint_files(settings: Settings) -> list[Path]:
    """The write-once copies."""
    return sorted(witness_for(settings).path.glob("*.checkpoint"))
