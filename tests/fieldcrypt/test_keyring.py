"""Data keys in PostgreSQL: sealing bound to its place, erasure, rotation without re-encryption."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from safeguard.db.pool import Connection, Pool, create_pool
from safeguard.fieldcrypt import rotation
from safeguard.fieldcrypt.envelope import FieldRef, SealedValueError
from safeguard.fieldcrypt.keyring import Keyring, context_of
from safeguard.fieldcrypt.keys import KeyDestroyedError, KeyProviderError, LocalKeyFile
from safeguard.settings import Settings


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    """A pool on this test's database."""
    pool = await create_pool(settings)
    yield pool
    await pool.close()


async def _key_row(conn: Connection, owner: uuid.UUID) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM keyring.data_keys WHERE owner = $1", owner)
    assert row is not None
    return row


def _ref(row: uuid.UUID, column: str = "notes") -> FieldRef:
    return FieldRef("panel.item_contacts", column, row)


async def test_a_sealed_value_opens_only_where_it_was_sealed(pool: Pool, tmp_path: Path) -> None:
    keyring = Keyring(LocalKeyFile(tmp_path / "kek.json"), service="panel")
    case, other_case, row, other_row = (uuid.uuid4() for _ in range(4))
    async with pool.acquire() as conn:
        key = await keyring.key_or_new(conn, case)
        other_key = await keyring.key_or_new(conn, other_case)
    sealed = key.seal(b"attended with his aunt", _ref(row))
    assert b"aunt" not in sealed
    assert key.open(sealed, _ref(row)) == b"attended with his aunt"
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    for opener, value, where in (
        (key, sealed, _ref(other_row)),
        (key, sealed, _ref(row, "summary")),
        (other_key, sealed, _ref(row)),
        (key, tampered, _ref(row)),
    ):
        with pytest.raises(SealedValueError):
            opener.open(value, where)


async def test_keys_are_kept_wrapped_and_shared_across_processes(
    pool: Pool, tmp_path: Path
) -> None:
    provider = LocalKeyFile(tmp_path / "kek.json")
    case = uuid.uuid4()
    async with pool.acquire() as conn:
        sealed = (await Keyring(provider, service="intake").key_or_new(conn, case)).seal(
            b"Whitfield", _ref(case)
        )
        row = await _key_row(conn, case)
        # Another process, with nothing cached, opens it through the wrapped key alone.
        fresh = Keyring(LocalKeyFile(tmp_path / "kek.json"), service="intake")
        assert (await fresh.key(conn, case)).open(sealed, _ref(case)) == b"Whitfield"
        # Each service has its own key for the case.
        panel_key = await Keyring(provider, service="panel").key_or_new(conn, case)
        with pytest.raises(SealedValueError):
            panel_key.open(sealed, _ref(case))
    assert row["wrapped"].startswith("local:v1:") and row["kek_version"] == 1


async def test_erasure_leaves_a_tombstone_and_no_way_back(pool: Pool, tmp_path: Path) -> None:
    provider = LocalKeyFile(tmp_path / "kek.json")
    keyring = Keyring(provider, service="intake")
    case = uuid.uuid4()
    async with pool.acquire() as conn:
        sealed = (await keyring.key_or_new(conn, case)).seal(b"Whitfield", _ref(case))
        backup = await _key_row(conn, case)
        await keyring.destroy(conn, case)
        with pytest.raises(KeyDestroyedError):
            await keyring.key(conn, case)
        with pytest.raises(KeyDestroyedError):
            await keyring.key_or_new(conn, case)
        tombstone = await _key_row(conn, case)
        assert tombstone["wrapped"] is None and tombstone["destroyed_at"] is not None
        # A backup taken before the erasure still holds the wrapped key, until the KEK version
        # that wrapped it is retired by the next rotation.
        await rotation.rotate(conn, provider)
        await rotation.retire(conn, provider)
    with pytest.raises(KeyDestroyedError):
        await provider.unwrap(backup["wrapped"], context=context_of("intake", case))
    assert sealed  # sealed under a key nobody can unwrap any more


async def test_rotation_rewraps_keys_and_leaves_sealed_values_alone(
    pool: Pool, tmp_path: Path
) -> None:
    provider = LocalKeyFile(tmp_path / "kek.json")
    keyring = Keyring(provider, service="intake")
    cases = [uuid.uuid4() for _ in range(3)]
    async with pool.acquire() as conn:
        sealed = {c: (await keyring.key_or_new(conn, c)).seal(b"DOB 2010", _ref(c)) for c in cases}
        before = await conn.fetch("SELECT owner, wrapped FROM keyring.data_keys ORDER BY owner")
        assert await rotation.rotate(conn, provider) == (2, 3)
        after = await conn.fetch("SELECT owner, wrapped FROM keyring.data_keys ORDER BY owner")
        assert all(a["wrapped"].startswith("local:v2:") for a in after)
        assert [a["wrapped"] for a in after] != [b["wrapped"] for b in before]
        await rotation.retire(conn, provider)
        fresh = Keyring(LocalKeyFile(tmp_path / "kek.json"), service="intake")
        for case in cases:
            assert (await fresh.key(conn, case)).open(sealed[case], _ref(case)) == b"DOB 2010"
        found = await rotation.status(conn, provider)
    assert (found.latest, found.by_version, found.destroyed) == (2, {2: 3}, 0)


async def test_retiring_waits_for_every_key_to_be_rewrapped(pool: Pool, tmp_path: Path) -> None:
    provider = LocalKeyFile(tmp_path / "kek.json")
    async with pool.acquire() as conn:
        await Keyring(provider, service="intake").key_or_new(conn, uuid.uuid4())
        await provider.rotate()  # a new version, but the key above is still under version 1
        with pytest.raises(KeyProviderError, match="1 data key"):
            await rotation.retire(conn, provider)
        assert await rotation.rewrap_older(conn, provider) == 1
        assert await rotation.retire(conn, provider) == 2
