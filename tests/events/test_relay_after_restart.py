"""The outbox relay after its database restarts: the lock held again, NOTIFY heard again."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import asyncpg
import pytest

from safeguard.background import running
from safeguard.db.pool import create_pool
from safeguard.outbox import _RELAY_LOCK_KEY, OutboxRelay
from safeguard.settings import Settings
from tests.helpers import assert_eventually
from tests.own_postgres import own_postgres

_HOLDERS = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted"


async def _lock_holders(dsn: str) -> int:
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return -1
    try:
        holders: int = await conn.fetchval(_HOLDERS, _RELAY_LOCK_KEY)
        return holders
    finally:
        await conn.close()


async def test_the_relay_takes_its_lock_again_and_stops_cleanly_after_a_restart(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with own_postgres(tmp_path / "postgres") as database:
        configured = settings.model_copy(update={"database_url": database.dsn})
        pool = await create_pool(configured)
        relay = OutboxRelay(settings=configured, pool=pool)
        try:
            with caplog.at_level(logging.INFO):
                async with running(relay.run(poll_seconds=0.2)):
                    await assert_eventually(lambda: _lock_holders(database.dsn), lambda n: n == 1)
                    await database.stop()
                    await asyncio.sleep(2)  # down long enough for a reconnection to fail
                    await database.start()
                    # The restart ended the session that held the lock; a second relay could
                    # now take it and publish beside this one, unless this one takes it back.
                    await assert_eventually(
                        lambda: _lock_holders(database.dsn), lambda n: n == 1, within=15
                    )
        finally:
            # Every connection given back: a relay that held one would make this wait.
            await asyncio.wait_for(pool.close(), 20)
    listener = [r.message for r in caplog.records if r.name == "safeguard.db.listening"]
    # Which error says so first depends on whether the connection broke before the server
    # stopped accepting (seen both ways in the suite): the session ended, or it was refused.
    assert listener[0] in {
        f"outbox relay: lost its database connection ({error})"
        for error in ("ConnectionRefusedError", "ConnectionDoesNotExistError")
    }
    assert listener[-1] == "outbox relay: listening on the database again"
