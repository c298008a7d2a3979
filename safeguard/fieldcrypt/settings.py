"""Configuration of personal-field encryption (`SAFEGUARD_FIELDS__*`).

Development needs nothing: the key-encryption key and the blind-index key are files created
under `<data dir>/keys` on first use. Production must use a key service and its own
blind-index key; `refuse_development` says so at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class DevelopmentKeyError(ValueError):
    """A development arrangement of the field keys was configured in production."""


class FieldSettings(BaseModel):
    """Where the key-encryption key lives, and the blind-index key."""

    # `local`: a key file (development and tests); `vault`: HashiCorp Vault's Transit engine.
    provider: Literal["local", "vault"] = "local"
    # Unset: <data dir>/keys/field-kek.json, created on first use.
    key_file: Path | None = None
    # Base64 of 32 random bytes. Unset outside production: <data dir>/keys/blind-index.key.
    blind_index_key: SecretStr | None = None
    vault_url: str | None = None
    vault_token: SecretStr | None = None
    vault_namespace: str | None = None
    vault_mount: str = "transit"
    # Created with `derived=true`: each data key is wrapped under a key derived for its case.
    vault_key: str = "safeguard-fields"
    vault_timeout_seconds: float = 5.0
    # Unwrapped data keys kept in memory per process, so reads do not ask the key service.
    data_key_cache: int = Field(4096, ge=0)
    # False only to measure what encryption costs (bench/intake); refused in production.
    encrypt: bool = True

    def refuse_development(self) -> None:
        """Raise if production would run on a development arrangement."""
        self.refuse_development_keys()
        self.refuse_development_blind_index()

    def refuse_development_blind_index(self) -> None:
        """Raise if production would make up its blind-index key."""
        if self.blind_index_key is None:
            raise DevelopmentKeyError("set SAFEGUARD_FIELDS__BLIND_INDEX_KEY in production")

    def refuse_development_keys(self) -> None:
        """Raise if production would wrap data keys on a development arrangement."""
        if self.provider == "local":
            raise DevelopmentKeyError(
                "set SAFEGUARD_FIELDS__PROVIDER=vault: the local key file is for development"
            )
        if not self.encrypt:
            raise DevelopmentKeyError("personal fields are always encrypted in production")
        if self.vault_url is None or self.vault_token is None:
            raise DevelopmentKeyError(
                "set SAFEGUARD_FIELDS__VAULT_URL and SAFEGUARD_FIELDS__VAULT_TOKEN for vault"
            )
