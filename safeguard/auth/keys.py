"""API keys: `sg_<key id>_<secret>`; only a SHA-256 of the secret is ever stored.

The secret is 256 random bits, so a fast hash is enough: slow password hashes exist to
protect guessable secrets, and they would cost every request tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

_PATTERN = re.compile(r"sg_([0-9a-f]{16})_([0-9a-f]{64})")


@dataclass(frozen=True)
class ApiKey:
    """A key as handed to a client: its public id and its secret."""

    key_id: str
    secret: str

    @property
    def token(self) -> str:
        """The one string the client sends as its bearer credential."""
        return f"sg_{self.key_id}_{self.secret}"

    @property
    def secret_hash(self) -> bytes:
        """What the database keeps."""
        return hash_secret(self.secret)


def new_key() -> ApiKey:
    """A fresh random key."""
    return ApiKey(key_id=secrets.token_hex(8), secret=secrets.token_hex(32))


def parse_token(token: str) -> ApiKey | None:
    """The key a bearer token spells, or None if it is not shaped like one of ours."""
    match = _PATTERN.fullmatch(token)
    if match is None:
        return None
    return ApiKey(key_id=match.group(1), secret=match.group(2))


def hash_secret(secret: str) -> bytes:
    """SHA-256 of the secret."""
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(key: ApiKey, stored_hash: bytes) -> bool:
    """Compare in constant time, so timing reveals nothing about the stored hash."""
    return hmac.compare_digest(key.secret_hash, stored_hash)
