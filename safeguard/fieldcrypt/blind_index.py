"""Blind indexes: keyed hashes that let equal values be found without storing them.

A plain hash of a name and a date of birth is no protection: there are few enough of both to
hash every combination. An HMAC under a key kept apart from the database (and from the
data keys) cannot be recomputed by someone holding only the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

_KEY_BYTES = 32


class BlindIndex:
    """HMAC-SHA256 under the blind-index key, separated by purpose."""

    def __init__(self, key: bytes) -> None:
        if len(key) < _KEY_BYTES:
            raise ValueError("the blind-index key must be at least 32 bytes")
        self._key = key

    def digest(self, purpose: str, value: str) -> bytes:
        """The index of `value` for `purpose` (one purpose's index never matches another's)."""
        message = f"{purpose}\x1f{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()


def decode_key(encoded: str) -> bytes:
    """A base64 key as bytes."""
    return base64.b64decode(encoded, validate=True)


def development_key(path: Path) -> bytes:
    """The local blind-index key, created on first use, readable by its owner only.

    Made aside and linked into place, so processes starting together all read the one
    winner's complete key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f"{path.name}.{os.getpid()}")
        descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(base64.b64encode(os.urandom(_KEY_BYTES)).decode())
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return decode_key(path.read_text().strip())
