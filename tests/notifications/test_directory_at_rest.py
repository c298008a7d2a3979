"""The recipient directory at rest: addresses and webhook secrets sealed in PostgreSQL's files."""

from __future__ import annotations

from safeguard.db.pool import Pool
from safeguard.fieldcrypt.setup import service_keyring
from safeguard.settings import Settings
from safeguard.stack import Stack
from services.notifications import directory
from services.notifications.models import DirectoryEntryWrite
from tests.at_rest import files_holding, flush_to_disk, marker


async def test_addresses_and_secrets_are_sealed(
    settings: Settings, pool: Pool, stack: Stack
) -> None:
    mailbox, hook, secret, older = marker(), marker(), marker(), marker()
    async with pool.acquire() as conn:
        # An entry as the previous version stored it, as migration 0015 marked it.
        await conn.execute(
            "INSERT INTO notifications.directory (role, scope, channel, address)"
            " VALUES ('channel_panel', '*', 'email', '\\x00'::bytea || convert_to($1, 'UTF8'))",
            f"{older}@council.example",
        )
    async with service_keyring(settings, service=directory.SERVICE) as keyring:
        # What the notifications service does when it starts.
        assert await directory.seal_legacy_entries(pool, keyring) == 1
        async with pool.acquire() as conn:
            email = DirectoryEntryWrite(address=f"{mailbox}@police.example")
            hooked = DirectoryEntryWrite(
                address=f"https://riverside.example/{hook}", webhook_secret=secret
            )
            await directory.put_entry(
                conn, keyring, role="prevent_officers", scope="*", channel="email", entry=email
            )
            await directory.put_entry(
                conn,
                keyring,
                role="partner_agency",
                scope="riverside",
                channel="webhook",
                entry=hooked,
            )
            listed = await directory.list_entries(conn, keyring)
            [partner] = await directory.lookup(
                conn, keyring, role="partner_agency", scope="riverside"
            )
            [panel] = await directory.lookup(conn, keyring, role="channel_panel", scope="E08000003")
    assert sorted(entry.address for entry in listed) == sorted(
        [f"{older}@council.example", email.address, hooked.address]
    )
    assert (partner.address, partner.secret) == (hooked.address, secret)
    assert panel.address == f"{older}@council.example"
    await flush_to_disk(pool)
    # The older entry's plain text stays in its old row version and the WAL until VACUUM FULL
    # and WAL recycling (README): only what this version wrote is looked for.
    found = await files_holding(stack, [mailbox, hook, secret])
    assert not found, f"directory entries in plain text: {found}"
