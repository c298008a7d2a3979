"""Checking the whole log against its signed checkpoints.

Every entry's leaf is rebuilt from its stored content and the tree recomputed from the start;
at each checkpoint's size the root must be the one the checkpoint signs. Checkpoints count only
if their signature verifies under the verifier key, which the database does not hold, and the
write-once copies outside the database are checked against the database's. So an entry edited,
inserted, deleted or moved within a checkpointed range, or a table rewritten with a recomputed
tree, fails against the earliest checkpoint that covers the change.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

from safeguard.audit.log.checkpoints import CheckpointDirectory
from safeguard.audit.log.entries import Entry, leaf_bytes
from safeguard.audit.log.legacy import ChainCheck
from safeguard.audit.log.merkle import CompactRange, leaf_hash
from safeguard.audit.log.proofcheck import Checkpoint, ProofError, VerifierKey
from safeguard.db.pool import Connection

_FETCH = 10_000


@dataclass(frozen=True)
class Finding:
    """What is wrong, and where."""

    kind: str  # altered | missing | rewritten | checkpoint | chain
    seq: int | None
    explanation: str


@dataclass
class Verification:
    """The outcome of one pass over the log."""

    entries: int = 0
    checkpoints: int = 0
    # The size of the newest checkpoint the log was checked against: entries past it are
    # sequenced but not yet signed for, so not yet evidence.
    covered: int = 0
    unsequenced: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Whether nothing was found."""
        return not self.findings


async def verify(
    conn: Connection,
    *,
    key: VerifierKey,
    witness: CheckpointDirectory | None,
    chain_key: bytes | None,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Check every sequenced entry and checkpoint; report the first entry-level finding."""
    result = Verification()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        checkpoints = await _checkpoints(conn, key, witness, result)
        result.checkpoints = len(checkpoints)
        await _walk(conn, checkpoints, chain_key, result, progress)
        result.unsequenced = await conn.fetchval(
            "SELECT count(*) FROM audit.log_entries WHERE seq IS NULL"
        )
    return result


async def _checkpoints(
    conn: Connection,
    key: VerifierKey,
    witness: CheckpointDirectory | None,
    result: Verification,
) -> dict[int, Checkpoint]:
    """The checkpoints whose signatures hold, the write-once copies winning any dispute."""
    stored = {
        row["size"]: row["note"]
        for row in await conn.fetch("SELECT size, note FROM audit.log_checkpoints")
    }
    copies = witness.notes() if witness else {}
    trusted: dict[int, Checkpoint] = {}
    for size in sorted(stored.keys() | copies.keys()):
        note = copies.get(size, stored.get(size))
        if size in copies and size in stored and copies[size] != stored[size]:
            result.findings.append(
                Finding(
                    "checkpoint",
                    size,
                    f"the database's checkpoint {size} is not the one written once",
                )
            )
        elif size in copies and size not in stored:
            result.findings.append(
                Finding("checkpoint", size, f"checkpoint {size} was deleted from the database")
            )
        try:
            checkpoint = key.check(str(note))
        except ProofError as error:
            result.findings.append(Finding("checkpoint", size, f"checkpoint {size}: {error}"))
            continue
        if checkpoint.size != size:
            result.findings.append(
                Finding("checkpoint", size, f"checkpoint {size} signs size {checkpoint.size}")
            )
            continue
        trusted[size] = checkpoint
    return trusted


async def _walk(
    conn: Connection,
    checkpoints: dict[int, Checkpoint],
    chain_key: bytes | None,
    result: Verification,
    progress: Callable[[int], None] | None,
) -> None:
    tree = CompactRange()
    chain = ChainCheck(chain_key) if chain_key is not None else None
    found = False
    cursor = conn.cursor(
        "SELECT seq, at, kind, action, actor, role, referral_id, detail, chain, leaf_hash"
        " FROM audit.log_entries WHERE seq IS NOT NULL ORDER BY seq",
        prefetch=_FETCH,
    )
    async for row in cursor:
        entry = Entry(
            row["kind"], row["action"], row["actor"], row["role"], row["referral_id"], row["detail"]
        )
        hash_ = leaf_hash(leaf_bytes(row["at"], entry, row["chain"]))
        if not found:
            found = _entry_finding(row["seq"], tree.size, hash_, bytes(row["leaf_hash"]), result)
        if not found and chain is not None and row["chain"] is not None:
            problem = chain.check(row["at"], entry, row["chain"])
            if problem:
                result.findings.append(Finding("chain", row["seq"], problem))
                found = True
        tree.append(hash_)
        if tree.size in checkpoints and not _matches(tree, checkpoints[tree.size], result):
            return
        if progress and tree.size % _FETCH == 0:
            progress(tree.size)
    result.entries = tree.size
    _check_end(tree, checkpoints, result)


def _entry_finding(
    seq: int, expected: int, hash_: bytes, stored: bytes, result: Verification
) -> bool:
    """Record what the stored entry itself gives away, if anything; whether it did."""
    if seq != expected:
        result.findings.append(Finding("missing", expected, f"entry {expected} is missing"))
        return True
    if not hmac.compare_digest(hash_, stored):
        result.findings.append(Finding("altered", seq, f"entry {seq} changed after it was logged"))
        return True
    return False


def _matches(tree: CompactRange, checkpoint: Checkpoint, result: Verification) -> bool:
    result.entries = tree.size
    if tree.root() == checkpoint.root:
        result.covered = tree.size
        return True
    result.findings.append(
        Finding(
            "rewritten",
            result.covered,
            f"the log's first {tree.size} entries no longer make the root that checkpoint"
            f" {tree.size} signed at {checkpoint.time} (the first {result.covered} still do)",
        )
    )
    return False


def _check_end(
    tree: CompactRange, checkpoints: dict[int, Checkpoint], result: Verification
) -> None:
    newest = max(checkpoints, default=0)
    if newest > tree.size:
        result.findings.append(
            Finding(
                "missing",
                tree.size,
                f"the log ends at {tree.size} entries, but checkpoint {newest} signed for {newest}",
            )
        )
