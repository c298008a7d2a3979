"""Building a service's field encryption from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Request

from safeguard.fieldcrypt.blind_index import BlindIndex, decode_key, development_key
from safeguard.fieldcrypt.keyring import Keyring
from safeguard.fieldcrypt.keys import KeyProvider, LocalKeyFile
from safeguard.fieldcrypt.vault import VaultTransit
from safeguard.settings import Settings

_KEK_FILE = "keys/field-kek.json"
_BLIND_INDEX_FILE = "keys/blind-index.key"


@dataclass(frozen=True)
class FieldCrypto:
    """What a service needs to store personal fields: its keyring and the blind index."""

    keyring: Keyring
    blind_index: BlindIndex


def blind_index_for(settings: Settings) -> BlindIndex:
    """The configured blind-index key, else (outside production) the local one."""
    if settings.environment == "production":
        settings.fields.refuse_development_blind_index()
    configured = settings.fields.blind_index_key
    if configured is not None:
        return BlindIndex(decode_key(configured.get_secret_value()))
    return BlindIndex(development_key(settings.data_dir / _BLIND_INDEX_FILE))


@asynccontextmanager
async def key_provider(settings: Settings) -> AsyncIterator[KeyProvider]:
    """The configured provider, with its HTTP client open while it is in use."""
    # Checked where keys are used rather than in Settings, so only the processes that hold
    # field keys (intake, panel, notifications, `safeguard keys`) need them configured.
    if settings.environment == "production":
        settings.fields.refuse_development_keys()
    fields = settings.fields
    if fields.provider == "local":
        yield LocalKeyFile(fields.key_file or settings.data_dir / _KEK_FILE)
        return
    if fields.vault_url is None or fields.vault_token is None:
        raise ValueError("the vault provider needs SAFEGUARD_FIELDS__VAULT_URL and __VAULT_TOKEN")
    async with httpx.AsyncClient(
        base_url=fields.vault_url, timeout=fields.vault_timeout_seconds
    ) as http:
        yield VaultTransit(
            http,
            token=fields.vault_token.get_secret_value(),
            key=fields.vault_key,
            mount=fields.vault_mount,
            namespace=fields.vault_namespace,
        )


@asynccontextmanager
async def service_keyring(settings: Settings, *, service: str) -> AsyncIterator[Keyring]:
    """A service's data keys, for as long as the service runs."""
    async with key_provider(settings) as provider:
        yield Keyring(
            provider,
            service=service,
            encrypt=settings.fields.encrypt,
            cache_size=settings.fields.data_key_cache,
        )


@asynccontextmanager
async def field_crypto(settings: Settings, *, service: str) -> AsyncIterator[FieldCrypto]:
    """A service's data keys and the blind index, for as long as the service runs."""
    index = blind_index_for(settings)
    async with service_keyring(settings, service=service) as keyring:
        yield FieldCrypto(keyring=keyring, blind_index=index)


# Coroutines: FastAPI runs a plain `def` dependency in a worker thread, a thread hop per request.
async def _fields(request: Request) -> FieldCrypto:
    fields: FieldCrypto = request.app.state.fields
    return fields


FieldsDep = Annotated[FieldCrypto, Depends(_fields)]


async def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


# Services that seal fields but link nothing hold only their keyring (no blind-index key).
KeyringDep = Annotated[Keyring, Depends(_keyring)]
