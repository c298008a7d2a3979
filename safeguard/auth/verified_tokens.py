"""Staff tokens already verified, so a caller's next request skips the signature check.

An officer's web session sends the same access token with every request until it expires;
checking its signature and claims each time was a tenth of an inbox request's CPU. An entry is
keyed by the token's SHA-256 (the token is a credential and is not kept) and is used only:

* before the token's `exp` (with no leeway: past it the token is checked afresh, and refused
  once the verifier's leeway is spent too), and
* while the token's issuer still offers the very key that verified it. The verifier looks the
  key up as for any token, so a key dropped from the issuer's set stops being trusted as soon
  as the key set's (rate-limited) refresh drops it, whether the token was remembered or not.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from jwt import PyJWK

# Enough for every member of staff signed in at once; the oldest entry goes first beyond it.
CAPACITY = 10_000


@dataclass(frozen=True)
class Verified:
    """What verifying a token established: its claims, and who signed it with which key."""

    claims: Mapping[str, Any]
    issuer: str
    kid: str
    key: PyJWK


class VerifiedTokens:
    """Verified tokens by digest, each until its expiry; at most `capacity` of them."""

    def __init__(self, capacity: int = CAPACITY, clock: Callable[[], float] = time.time) -> None:
        self._capacity = capacity
        self._clock = clock
        self._entries: dict[bytes, tuple[float, Verified]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> Verified | None:
        """The token's verification, if it is remembered and the token has not expired."""
        digest = _digest(token)
        found = self._entries.get(digest)
        if found is None:
            return None
        expires, verified = found
        if self._clock() >= expires:
            del self._entries[digest]
            return None
        return verified

    def put(self, token: str, verified: Verified) -> None:
        """Remember a token just verified, until its `exp`."""
        expires = verified.claims.get("exp")
        if not isinstance(expires, int | float) or self._clock() >= expires:
            return
        if len(self._entries) >= self._capacity:
            del self._entries[next(iter(self._entries))]
        frozen = replace(verified, claims=MappingProxyType(dict(verified.claims)))
        self._entries[_digest(token)] = (float(expires), frozen)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
