"""Development defaults, so a fresh `safeguard run` tells the teams as well as the referrer,
and a chair can choose the development realm's provider for a plan."""

from __future__ import annotations

import asyncpg

from safeguard.codes import InterventionType

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


# The development realm's intervention provider (deploy/keycloak: `provider-02`, whose token's
# `provider_id` it is), approved everywhere for every kind of support.
DEVELOPMENT_PROVIDERS = {"provider-02": "Riverside Mentoring (development)"}


async def seed_development_providers(dsn: str) -> int:
    """Register the development providers where they are not yet; return how many were added."""
    conn = await asyncpg.connect(dsn)
    try:
        added = 0
        for provider_id, name in DEVELOPMENT_PROVIDERS.items():
            inserted = await conn.fetchval(
                "INSERT INTO panel.providers (id, name, support, national, approved_until,"
                " created_by, updated_by) VALUES ($1, $2, $3, true,"
                " current_date + interval '1 year', 'development-seed', 'development-seed')"
                " ON CONFLICT DO NOTHING RETURNING true",
                provider_id,
                name,
                [kind.value for kind in InterventionType],
            )
            added += int(bool(inserted))
        return added
    finally:
        await conn.close()
