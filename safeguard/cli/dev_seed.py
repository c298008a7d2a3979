"""Development defaults, so a fresh `safeguard run` tells the teams as well as the referrer."""

from __future__ import annotations

import asyncpg

UNSEALED_MARK = b"\x00"
# Fallback (`*`) mailboxes per team; in development mail lands in the data dir's Maildir.
DEVELOPMENT_MAILBOXES = {
    "prevent_officers": "prevent-officers@safeguard.invalid",
    "prevent_supervisors": "prevent-supervisors@safeguard.invalid",
    "channel_panel": "channel-panel@safeguard.invalid",
    "intervention_provider": "intervention-providers@safeguard.invalid",
}


async def seed_development_directory(dsn: str) -> int:
    """Add the fallback mailboxes where no entry exists yet; return how many were added."""
    conn = await asyncpg.connect(dsn)
    try:
        added = 0
        for role, address in DEVELOPMENT_MAILBOXES.items():
            # Written as migration 0015 marks text not yet sealed (0x00 then the text): the
            # notifications service, started after this, seals marked entries with its key.
            inserted = await conn.fetchval(
                "INSERT INTO notifications.directory (role, scope, channel, address)"
                " VALUES ($1, '*', 'email', $2) ON CONFLICT DO NOTHING RETURNING true",
                role,
                UNSEALED_MARK + address.encode(),
            )
            added += int(bool(inserted))
        return added
    finally:
        await conn.close()
