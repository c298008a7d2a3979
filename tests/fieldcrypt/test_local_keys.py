"""The local key file: wrapping bound to its case, rotation, re-wrapping, retirement."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from safeguard.fieldcrypt.blind_index import development_key
from safeguard.fieldcrypt.keys import (
    KeyDestroyedError,
    KeyProviderError,
    LocalKeyFile,
    wrapped_version,
)
from safeguard.fieldcrypt.settings import DevelopmentKeyError
from safeguard.fieldcrypt.setup import field_crypto
from safeguard.fieldcrypt.vault import VaultTransit
from safeguard.settings import Settings

CASE = b"intake/0b5c3f7e-0000-4000-8000-000000000001"
OTHER_CASE = b"intake/0b5c3f7e-0000-4000-8000-000000000002"


async def test_made_on_first_use_readable_by_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "field-kek.json"
    provider = LocalKeyFile(path)
    data_key = os.urandom(32)
    wrapped = await provider.wrap(data_key, context=CASE)
    assert wrapped.startswith("local:v1:") and data_key.hex() not in wrapped
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Another process (another provider on the same file) unwraps it.
    assert await LocalKeyFile(path).unwrap(wrapped, context=CASE) == data_key


async def test_a_wrapped_key_opens_for_its_own_case_only(tmp_path: Path) -> None:
    provider = LocalKeyFile(tmp_path / "kek.json")
    wrapped = await provider.wrap(os.urandom(32), context=CASE)
    with pytest.raises(KeyProviderError):
        await provider.unwrap(wrapped, context=OTHER_CASE)
    with pytest.raises(KeyProviderError):
        await provider.unwrap("vault:v1:AAAA", context=CASE)


async def test_rotation_rewrap_and_retirement(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    service, operator = LocalKeyFile(path), LocalKeyFile(path)
    data_key = os.urandom(32)
    old = await service.wrap(data_key, context=CASE)
    assert await operator.rotate() == 2
    # The running service sees the operator's rotation at once: new wraps use version 2.
    assert wrapped_version(await service.wrap(os.urandom(32), context=CASE)) == 2
    new = await operator.rewrap(old, context=CASE)
    assert wrapped_version(new) == 2 and new != old
    assert await service.unwrap(old, context=CASE) == data_key
    await operator.retire(below=2)
    assert await service.unwrap(new, context=CASE) == data_key
    # A copy of the old wrapped key (a backup's) is now worthless.
    with pytest.raises(KeyDestroyedError):
        await service.unwrap(old, context=CASE)
    assert set(json.loads(path.read_text())["versions"]) == {"2"}
    with pytest.raises(KeyProviderError):
        await operator.retire(below=3)


async def test_concurrent_first_use_makes_one_key(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    first, second = LocalKeyFile(path), LocalKeyFile(path)
    wrapped = await first.wrap(b"k" * 32, context=CASE)
    assert await second.unwrap(wrapped, context=CASE) == b"k" * 32


def test_blind_index_development_key_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "blind-index.key"
    key = development_key(path)
    assert len(key) == 32 and development_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"provider": "vault", "vault_url": "https://vault:8200", "vault_token": "t"},
        {"provider": "vault", "blind_index_key": "a2V5" * 11},
        {
            "provider": "vault",
            "vault_url": "https://vault:8200",
            "vault_token": "t",
            "blind_index_key": "a2V5" * 11,
            "encrypt": False,
        },
    ],
)
async def test_production_refuses_development_arrangements(
    fields: dict[str, object], tmp_path: Path
) -> None:
    """The local key file, a made-up blind-index key, and encryption off are development's."""
    settings = Settings.model_validate(_production(fields) | {"data_dir": tmp_path})
    with pytest.raises(DevelopmentKeyError):
        async with field_crypto(settings, service="intake"):
            pass
    assert not (tmp_path / "keys").exists(), "no development key may be made in production"


async def test_production_takes_vault_and_a_blind_index_key(tmp_path: Path) -> None:
    fields: dict[str, object] = {
        "provider": "vault",
        "vault_url": "https://vault:8200",
        "vault_token": "t",
        "blind_index_key": "a2V5" * 11,
    }
    settings = Settings.model_validate(_production(fields) | {"data_dir": tmp_path})
    async with field_crypto(settings, service="intake") as crypto:
        assert isinstance(crypto.keyring.provider, VaultTransit)


def _production(fields: dict[str, object]) -> dict[str, object]:
    """Production settings whose other secrets pass, with these field settings."""
    key = "cHJvZHVjdGlvbi1wYXlsb2FkLWtleS0wMDAwMDAwMDA="
    return {
        "environment": "production",
        "fields": fields,
        "payload_keys": {"prod-1": key},
        "payload_active_key": "prod-1",
        "audit_chain_key": "a-real-chain-key",
    }
