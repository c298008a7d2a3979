"""AES-GCM payload codec: Temporal histories hold case data only encrypted.

New payloads use the active key; the key id travels in the payload metadata, so payloads
written under older keys still decrypt after a rotation as long as those keys are configured.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
# Binding the ciphertext to this label means a payload cannot be replayed under another scheme.
_AAD = b"safeguard.payload.v1"
_NONCE_BYTES = 12


class UnknownKeyError(KeyError):
    """A payload names a key id this process was not given."""


def decode_key(encoded: str) -> bytes:
    """A base64 key string as the 32 bytes AES-256 needs."""
    key = base64.b64decode(encoded, validate=True)
    if len(key) != 32:
        raise ValueError("payload keys must be 32 bytes (AES-256), base64-encoded")
    return key


class EncryptionCodec(PayloadCodec):
    """Encrypts every payload with AES-256-GCM under the active key."""

    def __init__(self, keys: Mapping[str, bytes], *, active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ValueError(f"active payload key {active_key_id!r} is not among the keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt each payload, recording the key id."""
        cipher = self._ciphers[self._active]
        encrypted = []
        for payload in payloads:
            nonce = os.urandom(_NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), _AAD)
            encrypted.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self._active.encode()},
                    data=nonce + sealed,
                )
            )
        return encrypted

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt encrypted payloads; pass others (e.g. from before encryption) through."""
        return [self._decode_one(payload) for payload in payloads]

    def _decode_one(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata[KEY_ID].decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownKeyError(key_id)
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        return Payload.FromString(cipher.decrypt(nonce, sealed, _AAD))
