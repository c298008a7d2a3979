"""The shared bearer token services present on internal routes."""

from __future__ import annotations

import hmac

from pydantic import SecretStr


def token_matches(presented: str | None, expected: SecretStr) -> bool:
    """Whether `Authorization: Bearer <token>` carried the expected token (constant time)."""
    if presented is None:
        return False
    scheme, _, token = presented.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), expected.get_secret_value().encode())
