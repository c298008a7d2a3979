"""The audit chain names the first edited, inserted or deleted row."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from typer.testing import CliRunner

from safeguard.access_log import record_read
from safeguard.audit.chain import Entry, append, chain_key
from safeguard.audit.verify import verify
from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint
from safeguard.cli.main import app
from safeguard.codes import Role
from safeguard.db.pool import Pool, create_pool
from safeguard.settings import Settings, get_settings

AUDITOR = StaffPrincipal(subject="auditor-1", role=Role.AUDITOR)
OFFICER = StaffPrincipal(subject="officer-17", role=Role.PREVENT_OFFICER)


@pytest.fixture
async def chained(settings: Settings) -> AsyncIterator[Pool]:
    """A database whose chain holds six rows: reads (through the access log) and actions."""
    pool = await create_pool(settings)
    referral = uuid.uuid4()
    async with pool.acquire() as conn:
        for number in range(3):
            async with conn.transaction():
                await record_read(
                    conn,
                    service="assessment",
                    principal=OFFICER,
                    referral_id=referral,
                    fields=["form"],
                    purpose=f"gateway assessment {number}",
                )
            await append(
                conn,
                Entry(
                    "action", "assessment.recorded", "case-workflow", "prevent_officer", referral
                ),
            )
    try:
        yield pool
    finally:
        await pool.close()


async def test_an_untouched_chain_verifies(chained: Pool, settings: Settings) -> None:
    async with chained.acquire() as conn:
        result = await verify(conn, key=chain_key(settings))
        reads = await conn.fetchval("SELECT count(*) FROM audit.chain WHERE kind = 'read'")
    assert (result.rows, result.head_seq, result.finding) == (6, 6, None)
    assert reads == 3


async def test_a_forged_key_does_not_verify(chained: Pool) -> None:
    async with chained.acquire() as conn:
        result = await verify(conn, key=b"another key")
    assert result.finding is not None and result.finding.seq == 1


TAMPERING = {
    "edited": ['UPDATE audit.chain SET detail = \'{"purpose": "nothing to see"}\' WHERE seq = 3'],
    "deleted": ["DELETE FROM audit.chain WHERE seq = 3"],
    # Room is made by renumbering the later rows, as someone slipping a row in would have to.
    "inserted": [
        "UPDATE audit.chain SET seq = -seq WHERE seq >= 3",
        "UPDATE audit.chain SET seq = -seq + 1 WHERE seq < 0",
        "INSERT INTO audit.chain SELECT 3, at, kind, action, 'someone-else', role, referral_id,"
        " detail, prev_hash, hash FROM audit.chain WHERE seq = 2",
    ],
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
async def test_tampering_is_found_at_its_row(chained: Pool, settings: Settings, kind: str) -> None:
    async with chained.acquire() as conn:
        for statement in TAMPERING[kind]:
            await conn.execute(statement)
        result = await verify(conn, key=chain_key(settings))
    assert result.finding is not None
    assert (result.finding.kind, result.finding.seq) == (kind, 3)


async def test_a_deleted_tail_is_found(chained: Pool, settings: Settings) -> None:
    async with chained.acquire() as conn:
        await conn.execute("DELETE FROM audit.chain WHERE seq >= 5")
        result = await verify(conn, key=chain_key(settings))
    assert result.finding is not None
    assert (result.finding.kind, result.finding.seq) == ("deleted", 5)


async def test_cli_verify_reports_the_broken_row(
    chained: Pool, settings: Settings, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEGUARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", settings.database_dsn())
    get_settings.cache_clear()
    try:
        key = development_signing_key(get_settings().data_dir)
        auditor = mint(
            key, principal=AUDITOR, issuer="safeguard-dev", audience="safeguard", ttl_seconds=60
        )
        officer = mint(
            key, principal=OFFICER, issuer="safeguard-dev", audience="safeguard", ttl_seconds=60
        )
        runner = CliRunner()
        intact = await asyncio.to_thread(
            runner.invoke, app, ["audit", "verify", "--token", auditor]
        )
        assert intact.exit_code == 0, intact.output
        assert "intact: 6 rows" in intact.output
        refused = await asyncio.to_thread(
            runner.invoke, app, ["audit", "verify", "--token", officer]
        )
        assert refused.exit_code == 2
        async with chained.acquire() as conn:
            await conn.execute("DELETE FROM audit.chain WHERE seq = 4")
        broken = await asyncio.to_thread(
            runner.invoke, app, ["audit", "verify", "--token", auditor]
        )
        assert broken.exit_code == 1
        assert "BROKEN at row 4: deleted" in broken.output
    finally:
        get_settings.cache_clear()
