"""Key-encryption keys: the provider interface, and the local key file of development.

A provider wraps (encrypts) and unwraps the per-case data keys under a key-encryption key
(KEK) it holds, and never hands that key out. KEKs are versioned: `rotate` adds a version
that new wraps use, `rewrap` moves a wrapped key to the newest version, and `retire` destroys
older versions, after which anything wrapped under them (in a backup, say) is lost for good.

Wrapped keys are text shaped like Vault Transit's ciphertexts, `<prefix>:v<version>:<base64>`,
so the version can be read without asking the provider.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_WRAPPED = re.compile(r"([a-z]+):v(\d+):([A-Za-z0-9+/=]+)")
_NONCE_BYTES = 12
# Binds a wrapped data key to this scheme as well as to its case (the context).
_LOCAL_AAD = b"safeguard.data-key.v1|"
_FORMAT = "safeguard-field-kek/1"


class KeyProviderError(Exception):
    """The provider could not do what was asked (unreachable, refused, misconfigured)."""


class KeyDestroyedError(KeyProviderError):
    """The data key was wrapped under a KEK version that no longer exists, or was erased."""


class KeyProvider(Protocol):
    """What envelope encryption needs of a key service."""

    async def wrap(self, data_key: bytes, *, context: bytes) -> str:
        """`data_key` encrypted under the newest KEK version, bound to `context`."""
        ...

    async def unwrap(self, wrapped: str, *, context: bytes) -> bytes:
        """The data key; `KeyDestroyedError` if its KEK version was retired."""
        ...

    async def rewrap(self, wrapped: str, *, context: bytes) -> str:
        """The same data key wrapped under the newest KEK version."""
        ...

    async def rotate(self) -> int:
        """Add a KEK version for new wraps; return it."""
        ...

    async def latest_version(self) -> int:
        """The KEK version new wraps use."""
        ...

    async def retire(self, *, below: int) -> None:
        """Destroy every KEK version older than `below`."""
        ...


def wrapped_version(wrapped: str) -> int:
    """The KEK version a wrapped key names."""
    match = _WRAPPED.fullmatch(wrapped)
    if match is None:
        raise KeyProviderError("not a wrapped data key")
    return int(match.group(2))


@dataclass(frozen=True)
class _KeyFile:
    """The parsed key file: KEK versions still held, and the newest."""

    versions: dict[int, bytes]
    latest: int

    def dumps(self) -> str:
        encoded = {str(v): base64.b64encode(k).decode() for v, k in sorted(self.versions.items())}
        return json.dumps({"format": _FORMAT, "latest": self.latest, "versions": encoded})

    @classmethod
    def loads(cls, text: str) -> _KeyFile:
        raw = json.loads(text)
        if raw.get("format") != _FORMAT:
            raise KeyProviderError("the field key file has an unknown format")
        versions = {int(v): base64.b64decode(k) for v, k in raw["versions"].items()}
        return cls(versions=versions, latest=int(raw["latest"]))


class LocalKeyFile:
    """KEK versions in a JSON file readable by its owner only (development and tests).

    Several processes share the file: changes are made under an exclusive lock and land by
    rename, and each use re-reads the file if it changed, so a rotation made by the CLI is
    used by running services at once.
    """

    prefix = "local"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: tuple[int, int] | None = None
        self._keys: _KeyFile | None = None

    async def wrap(self, data_key: bytes, *, context: bytes) -> str:
        """Encrypt under the newest version."""
        keys = self._current()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(keys.versions[keys.latest]).encrypt(nonce, data_key, _LOCAL_AAD + context)
        return f"{self.prefix}:v{keys.latest}:{base64.b64encode(nonce + sealed).decode()}"

    async def unwrap(self, wrapped: str, *, context: bytes) -> bytes:
        """Decrypt with the version the wrapped key names."""
        version, blob = self._parse(wrapped)
        kek = self._current().versions.get(version)
        if kek is None:
            raise KeyDestroyedError(f"KEK version {version} was retired")
        nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        try:
            return AESGCM(kek).decrypt(nonce, sealed, _LOCAL_AAD + context)
        except InvalidTag:
            raise KeyProviderError("the wrapped key does not open under its context") from None

    async def rewrap(self, wrapped: str, *, context: bytes) -> str:
        """Unwrap and wrap again under the newest version."""
        return await self.wrap(await self.unwrap(wrapped, context=context), context=context)

    async def rotate(self) -> int:
        """Add a version."""
        with self._locked() as keys:
            latest = keys.latest + 1
            self._write(_KeyFile({**keys.versions, latest: AESGCM.generate_key(256)}, latest))
        return latest

    async def latest_version(self) -> int:
        """The version new wraps use."""
        return self._current().latest

    async def retire(self, *, below: int) -> None:
        """Remove older versions from the file (the file's old copies are the operator's)."""
        with self._locked() as keys:
            if below > keys.latest:
                raise KeyProviderError(f"cannot retire the newest version {keys.latest}")
            kept = {v: k for v, k in keys.versions.items() if v >= below}
            self._write(_KeyFile(kept, keys.latest))

    def _parse(self, wrapped: str) -> tuple[int, bytes]:
        match = _WRAPPED.fullmatch(wrapped)
        if match is None or match.group(1) != self.prefix:
            raise KeyProviderError("not a data key wrapped by the local key file")
        return int(match.group(2)), base64.b64decode(match.group(3))

    def _current(self) -> _KeyFile:
        """The file's keys, read again if the file changed (or created on first use)."""
        try:
            info = self._path.stat()
        except FileNotFoundError:
            with self._locked():
                pass
            info = self._path.stat()
        stamp = (info.st_ino, info.st_mtime_ns)
        if self._keys is None or stamp != self._stamp:
            self._keys = _KeyFile.loads(self._path.read_text())
            self._stamp = stamp
        return self._keys

    @contextlib.contextmanager
    def _locked(self) -> Iterator[_KeyFile]:
        """The file's keys under an exclusive lock; the file is made if it does not exist."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self._path.with_name(self._path.name + ".lock")
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self._path.exists():
                self._write(_KeyFile({1: AESGCM.generate_key(256)}, 1))
            yield _KeyFile.loads(self._path.read_text())

    def _write(self, keys: _KeyFile) -> None:
        """Replace the file atomically, never readable by others even for a moment."""
        temporary = self._path.with_name(self._path.name + ".new")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(keys.dumps())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self._path)
        self._keys = None
