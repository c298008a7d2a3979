"""`safeguard run` in development gives each team a fallback mailbox, once, which the
notifications service seals with the directory's key when it starts."""

from __future__ import annotations

import asyncpg

from safeguard.cli.dev_seed import (
    DEVELOPMENT_MAILBOXES,
    DEVELOPMENT_PROVIDERS,
    seed_development_directory,
    seed_development_providers,
)
from safeguard.db.pool import create_pool
from safeguard.fieldcrypt.setup import service_keyring
from safeguard.settings import Settings
from services.notifications.directory import list_entries, seal_legacy_entries
from services.panel.register.service import list_providers


async def test_seeding_adds_each_team_once_and_keeps_existing_entries(settings: Settings) -> None:
    dsn = settings.database_dsn()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO notifications.directory (role, scope, channel, address)"
            " VALUES ('prevent_officers', '*', 'email', '\\x006f757273406578616d706c652e6f7267')"
        )
        assert await seed_development_directory(dsn) == len(DEVELOPMENT_MAILBOXES) - 1
        assert await seed_development_directory(dsn) == 0
    finally:
        await conn.close()
    pool = await create_pool(settings)
    try:
        async with service_keyring(settings, service="notifications") as keyring:
            assert await seal_legacy_entries(pool, keyring) == len(DEVELOPMENT_MAILBOXES)
            async with pool.acquire() as pooled:
                sealed = await pooled.fetch("SELECT address FROM notifications.directory")
                entries = await list_entries(pooled, keyring)
    finally:
        await pool.close()
    assert not [r for r in sealed if b".invalid" in r["address"] or b"example" in r["address"]]
    assert {e.role: e.address for e in entries if e.scope == "*"} == DEVELOPMENT_MAILBOXES | {
        "prevent_officers": "ours@example.org"
    }


async def test_seeding_registers_the_development_provider_once(settings: Settings) -> None:
    """Before: a fresh `safeguard run` had an empty register, so no plan could be agreed."""
    dsn = settings.database_dsn()
    assert await seed_development_providers(dsn) == len(DEVELOPMENT_PROVIDERS)
    assert await seed_development_providers(dsn) == 0
    pool = await create_pool(settings)
    try:
        entries = await list_providers(pool, area="E08000003", usable=True)
    finally:
        await pool.close()
    assert [entry.id for entry in entries] == ["provider-02"]
