"""Key rotation: a new KEK version, every data key re-wrapped under it, old versions retired.

Only the small wrapped data keys change: the sealed fields stay as they are, because their
data keys do not change. Retiring old versions is what makes erasure reach backups: a backup
holds erased cases' data keys wrapped under versions that no longer exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeguard.db.pool import Connection
from safeguard.fieldcrypt.keyring import context_of
from safeguard.fieldcrypt.keys import KeyProvider, KeyProviderError, wrapped_version

_BATCH = 200


@dataclass(frozen=True)
class KeyringStatus:
    """How many live data keys each KEK version wraps, and how many keys were destroyed."""

    latest: int
    by_version: dict[int, int]
    destroyed: int


async def status(conn: Connection, provider: KeyProvider) -> KeyringStatus:
    """The keyring as it stands."""
    rows = await conn.fetch(
        "SELECT kek_version, count(*) AS keys FROM keyring.data_keys GROUP BY kek_version"
    )
    by_version = {r["kek_version"]: r["keys"] for r in rows if r["kek_version"] is not None}
    destroyed = sum(r["keys"] for r in rows if r["kek_version"] is None)
    return KeyringStatus(await provider.latest_version(), by_version, destroyed)


async def rewrap_older(conn: Connection, provider: KeyProvider) -> int:
    """Re-wrap every data key under an older version than the newest; return how many."""
    latest = await provider.latest_version()
    moved = 0
    while True:
        async with conn.transaction():
            rows = await conn.fetch(
                "SELECT service, owner, wrapped FROM keyring.data_keys"
                " WHERE wrapped IS NOT NULL AND kek_version < $1"
                " ORDER BY kek_version LIMIT $2 FOR UPDATE SKIP LOCKED",
                latest,
                _BATCH,
            )
            for row in rows:
                context = context_of(row["service"], row["owner"])
                wrapped = await provider.rewrap(row["wrapped"], context=context)
                await conn.execute(
                    "UPDATE keyring.data_keys SET wrapped = $3, kek_version = $4,"
                    " rewrapped_at = now() WHERE service = $1 AND owner = $2",
                    row["service"],
                    row["owner"],
                    wrapped,
                    wrapped_version(wrapped),
                )
        moved += len(rows)
        if len(rows) < _BATCH:
            return moved


async def rotate(conn: Connection, provider: KeyProvider) -> tuple[int, int]:
    """A new KEK version and every data key moved to it: (the version, keys re-wrapped)."""
    version = await provider.rotate()
    return version, await rewrap_older(conn, provider)


async def retire(conn: Connection, provider: KeyProvider) -> int:
    """Destroy every KEK version older than the newest, once no live data key needs them.

    Returns the version kept. Refuses while any data key is still wrapped under an older
    version (one written during a rotation, say): run the rotation again first.
    """
    latest = await provider.latest_version()
    behind = await conn.fetchval(
        "SELECT count(*) FROM keyring.data_keys WHERE wrapped IS NOT NULL AND kek_version < $1",
        latest,
    )
    if behind:
        raise KeyProviderError(f"{behind} data key(s) still wrapped under older versions")
    await provider.retire(below=latest)
    return latest
