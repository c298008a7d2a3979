"""The hash chain's rows move into the log verifiably: every row still checks under the chain's
own HMACs in the log's order, and its head shows a tail cut before the import."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from safeguard.audit.log.entries import Entry
from safeguard.audit.log.legacy import GENESIS, chain_key, head_mac, row_hash
from safeguard.db.migrate import load_migrations, migrate
from safeguard.db.pool import Pool, create_pool
from safeguard.settings import Settings
from safeguard.stack import Stack
from tests.audit.log_helpers import check, sequence_all

_BEFORE_LOG = 17


async def _chain_era_database(stack: Stack) -> str:
    """A new database migrated only as far as the hash chain's last version."""
    name = f"chain_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(stack.postgres_dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = stack.postgres_dsn().rsplit("/", 1)[0] + f"/{name}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE public.schema_migrations (version integer PRIMARY KEY, name text NOT"
            " NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for migration in load_migrations():
            if migration.version <= _BEFORE_LOG:
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO public.schema_migrations (version, name, checksum)"
                    " VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
    finally:
        await conn.close()
    return dsn


async def _chain_rows(dsn: str, key: bytes, count: int) -> None:
    """Rows written as the hash chain wrote them, with its head."""
    conn = await asyncpg.connect(dsn)
    await conn.set_type_codec(
        "jsonb",
        encoder=json.dumps,
        decoder=json.loads,
        schema="pg_catalog",
    )
    try:
        prev = GENESIS
        referral = uuid.uuid4()
        for seq in range(1, count + 1):
            at = datetime.now(UTC)
            entry = Entry(
                "read",
                "assessment.read",
                f"officer-{seq}",
                "prevent_officer",
                referral,
                {"fields": ["form"], "purpose": f"review {seq}"},
            )
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
                referral,
                entry.detail,
                prev,
                digest,
            )
            prev = digest
        await conn.execute(
            "INSERT INTO audit.chain_head (id, seq, hash, mac) VALUES (true, $1, $2, $3)",
            count,
            prev,
            head_mac(key, count, prev),
        )
    finally:
        await conn.close()


@pytest.fixture
async def imported(stack: Stack, settings: Settings) -> AsyncIterator[tuple[Pool, Settings]]:
    """A chain of 9 rows, then the migration to the log (nothing sequenced yet)."""
    dsn = await _chain_era_database(stack)
    await _chain_rows(dsn, chain_key(settings), 9)
    await migrate(dsn)
    moved = settings.model_copy(update={"database_url": dsn})
    pool = await create_pool(moved)
    try:
        yield pool, moved
    finally:
        await pool.close()


async def test_the_chain_moves_into_the_log_and_still_verifies(
    imported: tuple[Pool, Settings],
) -> None:
    pool, settings = imported
    assert await sequence_all(pool, settings) == 10  # nine rows and the chain's head
    result = await check(pool, settings)
    assert result.intact, result.findings
    assert (result.entries, result.covered) == (10, 10)
    async with pool.acquire() as conn:
        first = await conn.fetchrow("SELECT actor, chain FROM audit.log_entries WHERE seq = 0")
    assert first is not None and (first["actor"], first["chain"]["seq"]) == ("officer-1", 1)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit.log_entries SET actor = 'someone-else' WHERE id = 4",
        "DELETE FROM audit.log_entries WHERE id = 9",
        "UPDATE audit.log_entries SET id = -id WHERE id IN (2, 3)",
    ],
    ids=["edited", "tail cut", "reordered"],
)
async def test_a_row_changed_before_the_first_checkpoint_fails_the_chain(
    imported: tuple[Pool, Settings], statement: str
) -> None:
    """Between the import and the first checkpoint only the chain's HMACs protect the rows."""
    pool, settings = imported
    async with pool.acquire() as conn:
        await conn.execute(statement)
    await sequence_all(pool, settings)
    result = await check(pool, settings)
    assert [finding.kind for finding in result.findings] == ["chain"], result.findings
