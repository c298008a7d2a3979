"""Per-case data keys, kept wrapped in `keyring.data_keys` (one per service and case).

A case's data key is made when the service first stores something personal about the case,
wrapped by the key provider, and kept only wrapped. Erasure destroys it: the row keeps a
tombstone (no key, the time), so the case's sealed values anywhere, backups included, cannot be
opened once the KEK versions that wrapped it are retired, and no new key is made for it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safeguard.db.pool import Connection
from safeguard.fieldcrypt.envelope import DataKey
from safeguard.fieldcrypt.keys import KeyDestroyedError, KeyProvider, wrapped_version


class MissingKeyError(LookupError):
    """The case has no data key in this service (nothing personal was stored)."""


def context_of(service: str, owner: UUID) -> bytes:
    """What a wrapped key is bound to: it unwraps for this service and case only."""
    return f"{service}/{owner}".encode()


@dataclass(frozen=True)
class NewDataKey:
    """A fresh data key and its wrapped form, not yet stored."""

    owner: UUID
    key: bytes | None
    wrapped: str | None


class Keyring:
    """One service's data keys, unwrapped through the provider and cached in memory."""

    def __init__(
        self, provider: KeyProvider, *, service: str, encrypt: bool = True, cache_size: int = 4096
    ) -> None:
        self.provider = provider
        self.service = service
        self.encrypt = encrypt
        self._cache_size = cache_size
        self._cache: OrderedDict[UUID, tuple[str, DataKey]] = OrderedDict()

    async def prepare(self, owner: UUID) -> NewDataKey:
        """Make and wrap a key; call before a transaction, so none waits on the provider."""
        if not self.encrypt:
            return NewDataKey(owner, None, None)
        key = AESGCM.generate_key(256)
        wrapped = await self.provider.wrap(key, context=context_of(self.service, owner))
        return NewDataKey(owner, key, wrapped)

    async def store(self, conn: Connection, new: NewDataKey) -> DataKey:
        """Keep a prepared key; if the case already has one, that one is used instead."""
        if new.wrapped is None or new.key is None:
            return DataKey(new.owner, None)
        stored = await conn.fetchval(
            "INSERT INTO keyring.data_keys (service, owner, wrapped, kek_version)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            self.service,
            new.owner,
            new.wrapped,
            wrapped_version(new.wrapped),
        )
        if not stored:
            return await self.key(conn, new.owner)
        data_key = DataKey(new.owner, new.key)
        self._remember(new.owner, new.wrapped, data_key)
        return data_key

    @staticmethod
    def prepared_key(new: NewDataKey) -> DataKey:
        """A prepared key to seal with before it is stored, for a caller that stores the
        wrapped key in a statement of its own (intake's one-round-trip accept); it tells the
        keyring with `stored` once that statement has committed."""
        return DataKey(new.owner, new.key)

    def stored(self, new: NewDataKey) -> None:
        """A prepared key its caller stored: kept in the cache, as `store` would."""
        if new.wrapped is not None and new.key is not None:
            self._remember(new.owner, new.wrapped, DataKey(new.owner, new.key))

    async def key(self, conn: Connection, owner: UUID) -> DataKey:
        """The case's key; `MissingKeyError`, or `KeyDestroyedError` once erased."""
        if not self.encrypt:
            return DataKey(owner, None)
        row = await conn.fetchrow(
            "SELECT wrapped, destroyed_at FROM keyring.data_keys WHERE service = $1 AND owner = $2",
            self.service,
            owner,
        )
        if row is None:
            raise MissingKeyError(f"no {self.service} data key for {owner}")
        wrapped: str | None = row["wrapped"]
        if wrapped is None:
            self._cache.pop(owner, None)
            raise KeyDestroyedError(f"the {self.service} data key of {owner} was destroyed")
        cached = self._cache.get(owner)
        if cached is not None and cached[0] == wrapped:
            self._cache.move_to_end(owner)
            return cached[1]
        key = await self.provider.unwrap(wrapped, context=context_of(self.service, owner))
        data_key = DataKey(owner, key)
        self._remember(owner, wrapped, data_key)
        return data_key

    async def key_or_new(self, conn: Connection, owner: UUID) -> DataKey:
        """The case's key, made now if it has none (the provider is asked inside `conn`'s work)."""
        try:
            return await self.key(conn, owner)
        except MissingKeyError:
            return await self.store(conn, await self.prepare(owner))

    async def destroy(self, conn: Connection, owner: UUID) -> None:
        """Erase the case's key in this service."""
        await destroy_data_key(conn, service=self.service, owner=owner)
        self._cache.pop(owner, None)

    def _remember(self, owner: UUID, wrapped: str, data_key: DataKey) -> None:
        if self._cache_size == 0:
            return
        self._cache[owner] = (wrapped, data_key)
        self._cache.move_to_end(owner)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


async def destroy_data_key(conn: Connection, *, service: str, owner: UUID) -> None:
    """Leave only a tombstone: no key, and no new key for this case afterwards."""
    await conn.execute(
        "INSERT INTO keyring.data_keys (service, owner, wrapped, kek_version, destroyed_at)"
        " VALUES ($1, $2, NULL, NULL, now()) ON CONFLICT (service, owner) DO UPDATE"
        " SET wrapped = NULL, kek_version = NULL,"
        " destroyed_at = coalesce(keyring.data_keys.destroyed_at, now())",
        service,
        owner,
    )
