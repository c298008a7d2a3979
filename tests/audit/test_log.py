"""The audit log: lock-free writers, a sequencer, signed checkpoints, and tampering caught."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from safeguard.audit.log.entries import Entry, append
from safeguard.db.pool import Pool, create_pool
from safeguard.settings import Settings
from tests.audit.log_helpers import (
    check,
    checkpoint_files,
    forger,
    rewrite_with_recomputed_tree,
    sequence_all,
    write_reads,
)


async def _write(pool: Pool, count: int) -> None:
    await write_reads(pool, count, service="assessment", purpose="gateway assessment")


@pytest.fixture
async def logged(settings: Settings) -> AsyncIterator[Pool]:
    """A log of 20 entries under checkpoints of 5, 12 and 20, and 3 more not yet signed for."""
    pool = await create_pool(settings)
    try:
        for count in (5, 7, 8):
            await _write(pool, count)
            await sequence_all(pool, settings)
        await _write(pool, 3)
        await sequence_all(pool, settings, checkpoint=False)
        yield pool
    finally:
        await pool.close()


async def test_writers_never_wait_for_one_another(settings: Settings) -> None:
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as first, pool.acquire() as second:
            async with first.transaction():
                await append(
                    first, Entry("read", "assessment.read", "officer-1", "prevent_officer")
                )
                # The hash chain held a global lock to the end of the first transaction here.
                async with second.transaction():
                    await asyncio.wait_for(
                        append(second, Entry("read", "panel.read", "chair-1", "channel_chair")),
                        timeout=5,
                    )
    finally:
        await pool.close()


async def test_an_untouched_log_verifies_against_its_checkpoints(
    logged: Pool, settings: Settings
) -> None:
    result = await check(logged, settings)
    assert result.intact, result.findings
    assert (result.entries, result.checkpoints, result.covered) == (23, 3, 20)
    files = checkpoint_files(settings)
    assert [int(f.name.split(".")[0]) for f in files] == [5, 12, 20]
    assert all(os.stat(f).st_mode & 0o222 == 0 for f in files)  # written once, read-only


async def test_entries_written_later_are_numbered_by_the_next_batch(
    logged: Pool, settings: Settings
) -> None:
    await _write(logged, 2)
    before = await check(logged, settings)
    assert before.unsequenced == 2
    await sequence_all(logged, settings)
    after = await check(logged, settings)
    assert after.intact and (after.entries, after.covered, after.unsequenced) == (25, 25, 0)


TAMPERING = {
    "edited": [
        'UPDATE audit.log_entries SET detail = \'{"purpose": "nothing to see"}\' WHERE seq = 3'
    ],
    "edited, leaf hash recomputed": [
        "UPDATE audit.log_entries SET actor = 'someone-else',"
        " leaf_hash = sha256('\\x00'::bytea || convert_to('forged', 'UTF8')) WHERE seq = 7"
    ],
    "deleted": ["DELETE FROM audit.log_entries WHERE seq = 9"],
    "deleted and renumbered": [
        "DELETE FROM audit.log_entries WHERE seq = 9",
        "UPDATE audit.log_entries SET seq = -(seq - 1) WHERE seq > 9",
        "UPDATE audit.log_entries SET seq = -seq WHERE seq < 0",
    ],
    "inserted": [
        "UPDATE audit.log_entries SET seq = -(seq + 1) WHERE seq >= 4",
        "UPDATE audit.log_entries SET seq = -seq WHERE seq < 0",
        "INSERT INTO audit.log_entries (at, kind, action, actor, role, referral_id, detail,"
        " seq, leaf_hash) SELECT at, kind, action, 'someone-else', role, referral_id, detail, 4,"
        " leaf_hash FROM audit.log_entries WHERE seq = 3",
    ],
    "reordered": [
        "UPDATE audit.log_entries SET seq = -1 WHERE seq = 2",
        "UPDATE audit.log_entries SET seq = 2 WHERE seq = 6",
        "UPDATE audit.log_entries SET seq = 6 WHERE seq = -1",
    ],
    "tail cut": ["DELETE FROM audit.log_entries WHERE seq >= 15"],
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
async def test_tampering_is_caught_against_an_earlier_checkpoint(
    logged: Pool, settings: Settings, how: str
) -> None:
    async with logged.acquire() as conn:
        for statement in TAMPERING[how]:
            await conn.execute(statement)
    result = await check(logged, settings)
    assert not result.intact
    # Each change lies in the range of the first checkpoint after it (5, 12 or 20).
    assert result.covered < 20, result.findings


async def test_a_table_rewritten_with_a_recomputed_tree_is_caught(
    logged: Pool, settings: Settings
) -> None:
    """The owner rewrites an entry, recomputes every hash and root, and replaces the
    checkpoints with ones signed by a key of their own: none verifies under the log's key,
    and the write-once copies still hold the real ones."""
    async with logged.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE audit.log_entries SET actor = 'someone-else' WHERE seq = 2")
        await rewrite_with_recomputed_tree(conn, forger(settings.audit_log.origin))
    result = await check(logged, settings)
    kinds = {finding.kind for finding in result.findings}
    assert "checkpoint" in kinds and "rewritten" in kinds, result.findings
    assert result.covered == 0


async def test_deleting_the_checkpoints_from_the_database_does_not_hide_a_rewrite(
    logged: Pool, settings: Settings
) -> None:
    async with logged.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE audit.log_entries SET role = 'auditor' WHERE seq = 13")
        await rewrite_with_recomputed_tree(conn, None)
    result = await check(logged, settings)
    assert not result.intact
    explanations = " ".join(finding.explanation for finding in result.findings)
    assert "deleted from the database" in explanations
    assert result.covered == 12  # entry 13 lies under checkpoint 20, held outside the database


async def test_a_write_once_store_that_cannot_be_written_does_not_stop_the_sequencing(
    settings: Settings, tmp_path: Path
) -> None:
    """The checkpoints wait, counted, and are copied once the store can be written again."""
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the store's directory should be")
    broken = settings.model_copy(
        update={"audit_log": settings.audit_log.model_copy(update={"checkpoint_dir": blocked})}
    )
    pool = await create_pool(broken)
    try:
        for _ in range(2):
            await _write(pool, 3)
            await sequence_all(pool, broken)  # raised before: OSError from the copy
        assert REGISTRY.get_sample_value("safeguard_audit_log_checkpoints_uncopied") == 2
        result = await check(pool, broken)
        assert result.intact and result.covered == 6
        blocked.unlink()
        await sequence_all(pool, broken)
        assert REGISTRY.get_sample_value("safeguard_audit_log_checkpoints_uncopied") == 0
        assert len(checkpoint_files(broken)) == 2
    finally:
        await pool.close()
