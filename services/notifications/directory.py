"""The recipient directory: where area teams, panels, providers and partner systems are reached.

Entries are keyed by role and scope (an area code, a provider id, an agency client id); the
scope `*` is a role's fallback, so a new area is reached before it has its own entry.
"""

from __future__ import annotations

from safeguard.db.pool import Connection
from services.notifications.delivery import Destination
from services.notifications.models import Channel, DirectoryEntryRead, DirectoryEntryWrite

FALLBACK_SCOPE = "*"
# Partner agencies' systems, reached by webhook when their referrals need telling.
PARTNER_AGENCY = "partner_agency"


async def lookup(conn: Connection, *, role: str, scope: str) -> list[Destination]:
    """The destinations of a role in a scope, falling back to the role's `*` entries."""
    rows = await conn.fetch(
        "SELECT channel, address, webhook_secret, scope FROM notifications.directory"
        " WHERE role = $1 AND scope IN ($2, $3) ORDER BY channel",
        role,
        scope,
        FALLBACK_SCOPE,
    )
    exact = [row for row in rows if row["scope"] == scope]
    chosen = exact or [row for row in rows if row["scope"] == FALLBACK_SCOPE]
    return [Destination(row["channel"], row["address"], row["webhook_secret"]) for row in chosen]


async def put_entry(
    conn: Connection, *, role: str, scope: str, channel: Channel, entry: DirectoryEntryWrite
) -> DirectoryEntryRead:
    """Add or replace an entry."""
    row = await conn.fetchrow(
        "INSERT INTO notifications.directory (role, scope, channel, address, webhook_secret)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (role, scope, channel) DO UPDATE"
        " SET address = EXCLUDED.address, webhook_secret = EXCLUDED.webhook_secret,"
        " updated_at = now()"
        " RETURNING role, scope, channel, address, webhook_secret IS NOT NULL AS has_secret,"
        " updated_at",
        role,
        scope,
        channel,
        entry.address,
        entry.webhook_secret,
    )
    return DirectoryEntryRead.model_validate(dict(row or {}))


async def list_entries(conn: Connection) -> list[DirectoryEntryRead]:
    """Every entry, by role and scope."""
    rows = await conn.fetch(
        "SELECT role, scope, channel, address, webhook_secret IS NOT NULL AS has_secret,"
        " updated_at FROM notifications.directory ORDER BY role, scope, channel"
    )
    return [DirectoryEntryRead.model_validate(dict(row)) for row in rows]


async def delete_entry(conn: Connection, *, role: str, scope: str, channel: Channel) -> bool:
    """Remove an entry; False if there was none."""
    deleted = await conn.fetchval(
        "DELETE FROM notifications.directory WHERE role = $1 AND scope = $2 AND channel = $3"
        " RETURNING true",
        role,
        scope,
        channel,
    )
    return bool(deleted)
