"""Checking a bearer API key: who the caller is, or why it is refused."""

from __future__ import annotations

from dataclasses import dataclass

from safeguard.auth.agencies import AgencyKind, RateLimit
from safeguard.auth.keys import parse_token, secret_matches
from safeguard.db.pool import Connection


@dataclass(frozen=True)
class Caller:
    """An authenticated client."""

    client_id: str
    name: str
    kind: AgencyKind
    area: str | None
    limit: RateLimit
    key_id: str
    read_limit: RateLimit


class CredentialError(Exception):
    """The credential is refused; `title` says why in words safe to show the caller."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(title)
        self.title = title
        self.detail = detail


_INVALID = CredentialError("Invalid credentials", "The API key is not recognised.")


async def authenticate(conn: Connection, token: str) -> Caller:
    """The client a bearer token belongs to; raise `CredentialError` if it may not call."""
    key = parse_token(token)
    if key is None:
        raise _INVALID
    row = await conn.fetchrow(
        "SELECT k.secret_hash, k.expires_at <= now() AS expired,"
        " k.revoked_at IS NOT NULL OR a.revoked_at IS NOT NULL AS revoked,"
        " a.client_id, a.name, a.kind, a.area, a.rate_per_minute, a.burst,"
        " a.read_rate_per_minute, a.read_burst"
        " FROM intake.agency_keys k JOIN intake.agencies a USING (client_id)"
        " WHERE k.key_id = $1",
        key.key_id,
    )
    # Only a caller holding the secret learns whether the key expired or was revoked.
    if row is None or not secret_matches(key, row["secret_hash"]):
        raise _INVALID
    if row["revoked"]:
        raise CredentialError("Revoked credentials", "This client or key has been revoked.")
    if row["expired"]:
        raise CredentialError(
            "Expired credentials", "This API key has expired or was replaced by a newer one."
        )
    return Caller(
        client_id=row["client_id"],
        name=row["name"],
        kind=AgencyKind(row["kind"]),
        area=row["area"],
        limit=RateLimit(per_minute=row["rate_per_minute"], burst=row["burst"]),
        key_id=key.key_id,
        read_limit=RateLimit(per_minute=row["read_rate_per_minute"], burst=row["read_burst"]),
    )
