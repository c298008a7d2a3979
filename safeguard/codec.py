"""AES-GCM payload codec: Temporal histories hold case data only encrypted.

New payloads use the active key; the key id travels in the payload metadata, so payloads
written under older keys still decrypt after a rotation as long as those keys are configured.

Each payload is also bound to the workflow it belongs to: the SDK hands the codec a
serialization context naming the workflow, whose id goes into the metadata and into the
authenticated data. The codec server learns from it, and from nothing a caller can forge,
which case a payload is part of. A payload without the encryption metadata is refused: no
deployment ever wrote plain payloads (the codec came before the first release), so nothing
needs them, and a forged plain update must not reach a workflow.
"""

from __future__ import annotations

import base64
import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Self

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
WORKFLOW_ID = "workflow-id"
# Binding the ciphertext to this label means a payload cannot be replayed under another scheme;
# a bound payload's label names its workflow too, so it cannot be moved to another case.
_AAD = b"safeguard.payload.v1"
_BOUND_AAD = b"safeguard.payload.v2:"
_NONCE_BYTES = 12


class UnknownKeyError(KeyError):
    """A payload names a key id this process was not given."""


class PayloadNotEncryptedError(ValueError):
    """A payload lacks the encryption metadata: it was not written by this codec."""


@dataclass(frozen=True)
class OpenedPayload:
    """A decrypted payload and the workflow it was bound to (None: written before binding)."""

    workflow_id: str | None
    payload: Payload


def decode_key(encoded: str) -> bytes:
    """A base64 key string as the 32 bytes AES-256 needs."""
    key = base64.b64decode(encoded, validate=True)
    if len(key) != 32:
        raise ValueError("payload keys must be 32 bytes (AES-256), base64-encoded")
    return key


def is_encrypted(payload: Payload) -> bool:
    """Whether `payload` carries this codec's encryption metadata."""
    return payload.metadata.get("encoding") == ENCODING


def _aad(workflow_id: str | None) -> bytes:
    return _AAD if workflow_id is None else _BOUND_AAD + workflow_id.encode()


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """Encrypts every payload with AES-256-GCM under the active key, bound to its workflow."""

    def __init__(self, keys: Mapping[str, bytes], *, active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ValueError(f"active payload key {active_key_id!r} is not among the keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id
        self._workflow_id: str | None = None

    @property
    def active_key_id(self) -> str:
        """The key new payloads are encrypted under."""
        return self._active

    def with_context(self, context: SerializationContext) -> Self:
        """A codec binding what it encodes to the context's workflow (the SDK calls this)."""
        bound = copy.copy(self)
        # Workflow and activity contexts name the workflow; others (Nexus) have none to bind.
        bound._workflow_id = getattr(context, "workflow_id", None)
        return bound

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt each payload, recording the key id and the workflow."""
        return [self._seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt each payload; one without the encryption metadata is refused."""
        return [self.open(payload).payload for payload in payloads]

    def _seal(self, payload: Payload) -> Payload:
        metadata = {"encoding": ENCODING, KEY_ID: self._active.encode()}
        if self._workflow_id is not None:
            metadata[WORKFLOW_ID] = self._workflow_id.encode()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self._active].encrypt(
            nonce, payload.SerializeToString(), _aad(self._workflow_id)
        )
        return Payload(metadata=metadata, data=nonce + sealed)

    def open(self, payload: Payload) -> OpenedPayload:
        """Decrypt one payload and say which workflow it is bound to.

        Raises `PayloadNotEncryptedError`, `UnknownKeyError`, or `InvalidTag` when the
        ciphertext, its key id or its workflow binding was altered.
        """
        if not is_encrypted(payload):
            encoding = payload.metadata.get("encoding", b"").decode(errors="replace")
            raise PayloadNotEncryptedError(
                f"refused a payload without encryption (encoding {encoding or 'none'!r}):"
                " payloads must be written through the safeguard payload codec"
            )
        # Undecodable names cannot match a key or pass authentication: they fail as such.
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownKeyError(key_id)
        bound = payload.metadata.get(WORKFLOW_ID)
        workflow_id = bound.decode(errors="replace") if bound is not None else None
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        plain = cipher.decrypt(nonce, sealed, _aad(workflow_id))
        return OpenedPayload(workflow_id, Payload.FromString(plain))
