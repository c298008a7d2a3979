"""Sealing one field's value with its case's data key (AES-256-GCM).

A sealed value is `0x01 | 12-byte nonce | ciphertext and tag`. The associated data names the
table, column and row the value belongs to, so a sealed value copied into another row or
column does not open there.

`0x00 | plaintext` marks a value stored unsealed: only a keyring built with encryption off
(to measure its cost) writes or reads it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED = 0x01
UNSEALED = 0x00
_NONCE_BYTES = 12


class SealedValueError(ValueError):
    """A sealed value that does not open: tampered, moved, or under another key."""


@dataclass(frozen=True)
class FieldRef:
    """Where a value is stored: the ciphertext is bound to this place."""

    table: str
    column: str
    row: UUID | str

    def associated_data(self) -> bytes:
        """The AES-GCM associated data."""
        return f"safeguard.field.v1|{self.table}|{self.column}|{self.row}".encode()


class DataKey:
    """One case's data key, unwrapped, for sealing and opening that case's fields."""

    def __init__(self, owner: UUID, key: bytes | None) -> None:
        self.owner = owner
        # None: encryption is off (benchmarks only), values are stored unsealed.
        self._cipher = AESGCM(key) if key is not None else None

    def seal(self, value: bytes, where: FieldRef) -> bytes:
        """The value encrypted for `where`."""
        if self._cipher is None:
            return bytes([UNSEALED]) + value
        nonce = os.urandom(_NONCE_BYTES)
        return bytes([SEALED]) + nonce + self._cipher.encrypt(nonce, value, where.associated_data())

    def open(self, sealed: bytes, where: FieldRef) -> bytes:
        """The value sealed for `where`; `SealedValueError` if it was not."""
        if not sealed:
            raise SealedValueError("empty sealed value")
        if sealed[0] == UNSEALED and self._cipher is None:
            return sealed[1:]
        if sealed[0] != SEALED or self._cipher is None:
            raise SealedValueError("sealed value of an unexpected kind")
        nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return self._cipher.decrypt(nonce, body, where.associated_data())
        except InvalidTag:
            place = f"{where.table}.{where.column}"
            raise SealedValueError(f"value does not open for {place}") from None

    def seal_text(self, value: str | None, where: FieldRef) -> bytes | None:
        """A text field sealed (None stays None)."""
        return None if value is None else self.seal(value.encode(), where)

    def open_text(self, sealed: bytes | None, where: FieldRef) -> str | None:
        """A sealed text field opened (None stays None)."""
        return None if sealed is None else self.open(sealed, where).decode()

    def seal_json(self, value: Any, where: FieldRef) -> bytes:
        """A JSON document sealed."""
        return self.seal(json.dumps(value, separators=(",", ":")).encode(), where)

    def open_json(self, sealed: bytes, where: FieldRef) -> Any:
        """A sealed JSON document opened."""
        return json.loads(self.open(sealed, where))
