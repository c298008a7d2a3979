"""Signed checkpoints: the log's size and root hash at a time, signed with Ed25519.

A checkpoint is a C2SP signed note (tlog-checkpoint): origin, tree size, base64 root hash and a
`time` line, then the signature line. The signing key lives in a file outside the database (in
production, mounted from a secret store), so whoever owns the database can rewrite the log's
tables but cannot sign a checkpoint for what they wrote.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from safeguard.audit.log.proofcheck import ED25519, Checkpoint, VerifierKey, key_id_of


class SigningKeyError(Exception):
    """The signing key is missing or unreadable where it must not be generated."""


@dataclass(frozen=True)
class Signer:
    """Signs checkpoints under the log's origin name."""

    origin: str
    key: Ed25519PrivateKey

    @property
    def verifier(self) -> VerifierKey:
        """The public half, as verifiers are given it."""
        public = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return VerifierKey(self.origin, key_id_of(self.origin, public), public)

    def sign(self, size: int, root: bytes, at: datetime) -> str:
        """The signed note of a checkpoint."""
        stamp = at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        body = f"{self.origin}\n{size}\n{base64.b64encode(root).decode()}\ntime {stamp}\n"
        signature = self.verifier.key_id + self.key.sign(body.encode())
        return f"{body}\n\u2014 {self.origin} {base64.b64encode(signature).decode()}\n"


def verifier_key_text(key: VerifierKey) -> str:
    """A verifier key as text: `name+keyid+base64(type || public key)`."""
    encoded = base64.b64encode(bytes([ED25519]) + key.public).decode()
    return f"{key.name}+{key.key_id.hex()}+{encoded}"


def load_signing_key(path: Path, *, create: bool) -> Ed25519PrivateKey:
    """The Ed25519 key in `path` (PKCS #8 PEM); made there first if `create` and absent."""
    if not path.exists():
        if not create:
            raise SigningKeyError(f"no audit-log signing key at {path}")
        _create(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} does not hold an Ed25519 key")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first: use theirs
    with os.fdopen(fd, "wb") as file:
        file.write(pem)


class WitnessError(Exception):
    """The write-once store holds a different checkpoint under the same size."""


@dataclass(frozen=True)
class CheckpointDirectory:
    """A write-once store of checkpoints: one read-only file per tree size, never replaced.

    In development a local directory; in production the same contract is met by an object
    store with object lock (compliance mode), which nobody, the database's owner included,
    can overwrite or delete before the retention ends.
    """

    path: Path

    def _file(self, size: int) -> Path:
        return self.path / f"{size:020d}.checkpoint"

    def put(self, size: int, note: str) -> None:
        """Store the note of the checkpoint of `size`, unless it is there already."""
        self.path.mkdir(parents=True, exist_ok=True)
        target = self._file(size)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileExistsError:
            if target.read_text() != note:
                raise WitnessError(f"{target} holds a different checkpoint") from None
            return
        with os.fdopen(fd, "w") as file:
            file.write(note)
            file.flush()
            os.fsync(file.fileno())

    def notes(self) -> dict[int, str]:
        """Every stored checkpoint note by tree size."""
        if not self.path.is_dir():
            return {}
        return {
            int(file.name.removesuffix(".checkpoint")): file.read_text()
            for file in self.path.glob("*.checkpoint")
        }


__all__ = [
    "Checkpoint",
    "CheckpointDirectory",
    "Signer",
    "SigningKeyError",
    "VerifierKey",
    "WitnessError",
    "load_signing_key",
    "verifier_key_text",
]
