"""`safeguard run` in development gives each team a fallback mailbox, once."""

from __future__ import annotations

import asyncpg

from safeguard.cli.dev_seed import DEVELOPMENT_MAILBOXES, seed_development_directory
from safeguard.settings import Settings


async def test_seeding_adds_each_team_once_and_keeps_existing_entries(settings: Settings) -> None:
    dsn = settings.database_dsn()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO notifications.directory (role, scope, channel, address)"
            " VALUES ('prevent_officers', '*', 'email', 'ours@example.org')"
        )
        assert await seed_development_directory(dsn) == len(DEVELOPMENT_MAILBOXES) - 1
        assert await seed_development_directory(dsn) == 0
        rows = await conn.fetch(
            "SELECT role, address FROM notifications.directory WHERE scope = '*' ORDER BY role"
        )
    finally:
        await conn.close()
    assert {row["role"]: row["address"] for row in rows} == DEVELOPMENT_MAILBOXES | {
        "prevent_officers": "ours@example.org"
    }
