"""The recipient directory: where area teams, panels, providers and partner systems are reached.

Entries are keyed by role and scope (an area code, a provider id, an agency client id); the
scope `*` is a role's fallback, so a new area is reached before it has its own entry.

Addresses (a mailbox may be a person's) and webhook secrets are stored sealed with the
directory's own data key (safeguard/fieldcrypt): the directory belongs to no case, so its
entries share one key, and removing an entry deletes its row.
"""

from __future__ import annotations

import uuid

from safeguard.db.pool import Connection, Pool
from safeguard.fieldcrypt.envelope import DataKey, FieldRef
from safeguard.fieldcrypt.keyring import Keyring
from services.notifications.delivery import Destination
from services.notifications.models import Channel, DirectoryEntryRead, DirectoryEntryWrite

FALLBACK_SCOPE = "*"
# Partner agencies' systems, reached by webhook when their referrals need telling.
PARTNER_AGENCY = "partner_agency"
SERVICE = "notifications"
# The keyring's owner id of the directory's key (a name-based UUID, the same everywhere).
DIRECTORY_KEY = uuid.uuid5(uuid.NAMESPACE_URL, "safeguard:notifications.directory")


def _place(column: str, role: str, scope: str, channel: str) -> FieldRef:
    return FieldRef("notifications.directory", column, f"{role}/{scope}/{channel}")


def _opened(key: DataKey, column: str, row: dict[str, object]) -> str | None:
    sealed = row[column]
    assert sealed is None or isinstance(sealed, bytes)  # noqa: S101 - bytea columns
    where = _place(column, str(row["role"]), str(row["scope"]), str(row["channel"]))
    return key.open_text(sealed, where)


async def lookup(conn: Connection, keyring: Keyring, *, role: str, scope: str) -> list[Destination]:
    """The destinations of a role in a scope, falling back to the role's `*` entries."""
    rows = await conn.fetch(
        "SELECT role, scope, channel, address, webhook_secret FROM notifications.directory"
        " WHERE role = $1 AND scope IN ($2, $3) ORDER BY channel",
        role,
        scope,
        FALLBACK_SCOPE,
    )
    exact = [row for row in rows if row["scope"] == scope]
    chosen = [dict(row) for row in exact or [r for r in rows if r["scope"] == FALLBACK_SCOPE]]
    if not chosen:
        return []
    key = await keyring.key(conn, DIRECTORY_KEY)
    return [
        Destination(
            row["channel"], _opened(key, "address", row) or "", _opened(key, "webhook_secret", row)
        )
        for row in chosen
    ]


async def put_entry(
    conn: Connection,
    keyring: Keyring,
    *,
    role: str,
    scope: str,
    channel: Channel,
    entry: DirectoryEntryWrite,
) -> DirectoryEntryRead:
    """Add or replace an entry."""
    key = await keyring.key_or_new(conn, DIRECTORY_KEY)
    row = await conn.fetchrow(
        "INSERT INTO notifications.directory (role, scope, channel, address, webhook_secret)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (role, scope, channel) DO UPDATE"
        " SET address = EXCLUDED.address, webhook_secret = EXCLUDED.webhook_secret,"
        " updated_at = now()"
        " RETURNING role, scope, channel, webhook_secret IS NOT NULL AS has_secret, updated_at",
        role,
        scope,
        channel,
        key.seal_text(entry.address, _place("address", role, scope, channel)),
        key.seal_text(entry.webhook_secret, _place("webhook_secret", role, scope, channel)),
    )
    return DirectoryEntryRead.model_validate(dict(row or {}) | {"address": entry.address})


async def list_entries(conn: Connection, keyring: Keyring) -> list[DirectoryEntryRead]:
    """Every entry, by role and scope."""
    rows = await conn.fetch(
        "SELECT role, scope, channel, address, webhook_secret IS NOT NULL AS has_secret,"
        " updated_at FROM notifications.directory ORDER BY role, scope, channel"
    )
    if not rows:
        return []
    key = await keyring.key(conn, DIRECTORY_KEY)
    return [
        DirectoryEntryRead.model_validate(
            dict(row) | {"address": _opened(key, "address", dict(row))}
        )
        for row in rows
    ]


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


async def seal_legacy_entries(pool: Pool, keyring: Keyring) -> int:
    """Seal entries stored before the directory was encrypted (migration 0015 marked them)."""
    if not keyring.encrypt:
        return 0
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT role, scope, channel, address, webhook_secret FROM notifications.directory"
            " WHERE get_byte(address, 0) = 0 FOR UPDATE"
        )
        if not rows:
            return 0
        key = await keyring.key_or_new(conn, DIRECTORY_KEY)
        for row in rows:
            where = (row["role"], row["scope"], row["channel"])
            secret = row["webhook_secret"]
            await conn.execute(
                "UPDATE notifications.directory SET address = $4, webhook_secret = $5"
                " WHERE role = $1 AND scope = $2 AND channel = $3",
                *where,
                key.seal_text(bytes(row["address"][1:]).decode(), _place("address", *where)),
                key.seal_text(
                    None if secret is None else bytes(secret[1:]).decode(),
                    _place("webhook_secret", *where),
                ),
            )
    return len(rows)
