"""The sequencer: numbers committed entries in batches, extends the tree, signs checkpoints.

One sequencer is active per deployment: the one holding a session advisory lock. It writes
only on the connection that holds the lock, so a sequencer that loses its connection (and with
it the lock) cannot write either; the one-row `audit.log_tree`, locked and compared in every
batch, catches anything else that moved the tree.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from safeguard.audit.log.checkpoints import CheckpointDirectory, Signer, WitnessError
from safeguard.audit.log.entries import Entry, leaf_bytes
from safeguard.audit.log.merkle import CompactRange, frontier, leaf_hash
from safeguard.db.pool import Connection, Pool
from safeguard.metrics import AUDIT_LOG_ENTRIES, AUDIT_LOG_UNCOPIED
from safeguard.outages import outage_of
from safeguard.settings import AuditLogSettings

log = logging.getLogger(__name__)
# Held for as long as a process sequences; any constant, the same in every process.
LEADER_LOCK = 0x0A0D_1706


class TreeMovedError(Exception):
    """The stored tree is not the one this sequencer extended: it must not write."""


@dataclass
class _Published:
    size: int
    at: datetime


class Sequencer:
    """Runs for a process's lifetime; sequences while it leads."""

    def __init__(
        self,
        pool: Pool,
        signer: Signer,
        settings: AuditLogSettings,
        witness: CheckpointDirectory | None,
    ) -> None:
        self._pool = pool
        self._signer = signer
        self._settings = settings
        self._witness = witness
        self._tree = CompactRange()
        self._published = _Published(0, datetime.min.replace(tzinfo=UTC))
        self._copy_failing = False

    async def run(self) -> None:
        """Lead whenever the lock is free; step down and retry on any database outage."""
        while True:
            try:
                async with self._pool.acquire() as conn:
                    if await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK):
                        await self.lead(conn)
            except asyncpg.InterfaceError as error:
                # Its connection went with the database (the pool took it back): an outage.
                log.warning("audit log sequencer lost its connection (%s); retrying", error)
            except Exception as error:  # noqa: BLE001 - the sequencer must outlive any one fault
                if outage_of(error) is None:
                    log.exception("audit log sequencer failed; retrying")
            await asyncio.sleep(max(1.0, self._settings.sequence_seconds))

    async def lead(self, conn: Connection) -> None:
        """Sequence for as long as this connection lives (it holds the leader lock)."""
        await self.load(conn)
        log.info("audit log sequencer leading at tree size %d", self._tree.size)
        while True:
            count = await self.step(conn)
            await self.copy_checkpoints(conn)
            if count < self._settings.batch:
                await asyncio.sleep(self._settings.sequence_seconds)

    async def load(self, conn: Connection) -> None:
        """Take up the stored tree and the newest checkpoint."""
        self._tree = await load_tree(conn)
        self._published = await _last_checkpoint(conn)

    async def catch_up(self, conn: Connection, *, checkpoint: bool = True) -> int:
        """Sequence every committed entry now and, if `checkpoint`, sign for them at once
        (benchmarks and tests; the caller holds the leader lock)."""
        await self.load(conn)
        total = 0
        while count := await self.step(conn):
            total += count
        if checkpoint:
            await self.step(conn, checkpoint_now=True)
        await self.copy_checkpoints(conn)
        return total

    async def step(self, conn: Connection, *, checkpoint_now: bool = False) -> int:
        """Sequence one batch and sign a checkpoint if one is due, in one transaction."""
        grown = CompactRange(self._tree.size, list(self._tree.roots))
        published = self._published
        async with conn.transaction():
            stored = await conn.fetchval("SELECT size FROM audit.log_tree FOR UPDATE")
            if stored != grown.size:
                raise TreeMovedError(f"the stored tree has {stored} entries, not {grown.size}")
            count = await _sequence_batch(conn, grown, self._settings.batch)
            now = datetime.now(UTC)
            interval = 0.0 if checkpoint_now else self._settings.checkpoint_seconds
            if _due(grown.size, published, now, interval):
                await _store_checkpoint(conn, self._signer, grown, now)
                published = _Published(grown.size, now)
        self._tree, self._published = grown, published
        AUDIT_LOG_ENTRIES.set(grown.size)
        return count

    async def copy_checkpoints(self, conn: Connection) -> None:
        """Copy every checkpoint not yet in the write-once store there. A store that cannot be
        written does not stop the sequencing: the copies wait, counted, and are tried again
        after every batch."""
        if self._witness is None:
            return
        rows = await conn.fetch(
            "SELECT size, note FROM audit.log_checkpoints WHERE copied_at IS NULL ORDER BY size"
        )
        copied = 0
        try:
            for row in rows:
                await asyncio.to_thread(self._witness.put, row["size"], row["note"])
                await conn.execute(
                    "UPDATE audit.log_checkpoints SET copied_at = now() WHERE size = $1",
                    row["size"],
                )
                copied += 1
        except (OSError, WitnessError) as error:
            if not self._copy_failing:
                log.error(
                    "audit log: checkpoints cannot be copied to the write-once store: %s", error
                )
            self._copy_failing = True
        else:
            if self._copy_failing:
                log.info("audit log: checkpoints are copied to the write-once store again")
            self._copy_failing = False
        AUDIT_LOG_UNCOPIED.set(len(rows) - copied)


def _due(size: int, published: _Published, now: datetime, interval: float) -> bool:
    return size > published.size and (now - published.at).total_seconds() >= interval


async def load_tree(conn: Connection) -> CompactRange:
    """The stored tree's compact range, checked against its stored root."""
    stored = await conn.fetchrow("SELECT size, root FROM audit.log_tree")
    if stored is None:
        raise TreeMovedError("the log's tree row is gone")
    size, root = stored["size"], stored["root"]
    roots = [await _node(conn, level, index) for level, index in frontier(size)]
    tree = CompactRange(size, roots)
    if tree.root() != bytes(root):
        raise TreeMovedError("the stored subtrees do not make the stored root")
    return tree


async def _node(conn: Connection, level: int, index: int) -> bytes:
    if level == 0:
        value = await conn.fetchval("SELECT leaf_hash FROM audit.log_entries WHERE seq = $1", index)
    else:
        value = await conn.fetchval(
            "SELECT hash FROM audit.log_nodes WHERE level = $1 AND index = $2", level, index
        )
    if value is None:
        raise TreeMovedError(f"the stored tree lacks its subtree ({level}, {index})")
    return bytes(value)


async def _last_checkpoint(conn: Connection) -> _Published:
    row = await conn.fetchrow(
        "SELECT size, at FROM audit.log_checkpoints ORDER BY size DESC LIMIT 1"
    )
    return (
        _Published(row["size"], row["at"])
        if row
        else _Published(0, datetime.min.replace(tzinfo=UTC))
    )


async def _sequence_batch(conn: Connection, tree: CompactRange, batch: int) -> int:
    """Number up to `batch` committed entries in insertion order and add them to `tree`."""
    rows = await conn.fetch(
        "SELECT id, at, kind, action, actor, role, referral_id, detail, chain"
        " FROM audit.log_entries WHERE seq IS NULL ORDER BY id LIMIT $1",
        batch,
    )
    if not rows:
        return 0
    ids, seqs, hashes = [], [], []
    levels, indexes, nodes = [], [], []
    for row in rows:
        entry = Entry(
            row["kind"], row["action"], row["actor"], row["role"], row["referral_id"], row["detail"]
        )
        hash_ = leaf_hash(leaf_bytes(row["at"], entry, row["chain"]))
        ids.append(row["id"])
        seqs.append(tree.size)
        hashes.append(hash_)
        for level, index, node in tree.append(hash_)[1:]:
            levels.append(level)
            indexes.append(index)
            nodes.append(node)
    await conn.execute(
        "UPDATE audit.log_entries AS e SET seq = u.seq, leaf_hash = u.hash"
        " FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS u (id, seq, hash)"
        " WHERE e.id = u.id",
        ids,
        seqs,
        hashes,
    )
    await conn.execute(
        "INSERT INTO audit.log_nodes (level, index, hash)"
        " SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])",
        levels,
        indexes,
        nodes,
    )
    await conn.execute("UPDATE audit.log_tree SET size = $1, root = $2", tree.size, tree.root())
    return len(rows)


async def _store_checkpoint(
    conn: Connection, signer: Signer, tree: CompactRange, at: datetime
) -> None:
    root = tree.root()
    await conn.execute(
        "INSERT INTO audit.log_checkpoints (size, root, at, note) VALUES ($1, $2, $3, $4)",
        tree.size,
        root,
        at,
        signer.sign(tree.size, root, at),
    )
