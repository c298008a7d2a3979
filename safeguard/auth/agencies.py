"""Registered clients (partner agencies and the public web form) and their API keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from safeguard.auth.keys import ApiKey, new_key
from safeguard.db.pool import Connection

CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,62}")


class AgencyKind(StrEnum):
    """A partner agency's system, or the one client that carries referrals from the public."""

    PARTNER = "partner"
    PUBLIC = "public"


@dataclass(frozen=True)
class RateLimit:
    """A sustained rate and the burst allowed above it."""

    per_minute: int
    burst: int


# The public client is open to anyone on the internet behind it, so it gets far less.
DEFAULT_LIMITS = {
    AgencyKind.PARTNER: RateLimit(per_minute=60, burst=20),
    AgencyKind.PUBLIC: RateLimit(per_minute=10, burst=5),
}
# Status reads have a budget of their own (migration 0023), so polling never starves
# submissions; a read costs little, so the budget is larger.
DEFAULT_READ_LIMITS = {
    AgencyKind.PARTNER: RateLimit(per_minute=600, burst=100),
    AgencyKind.PUBLIC: RateLimit(per_minute=60, burst=20),
}


@dataclass(frozen=True)
class Agency:
    """A registered client as `safeguard agencies list` shows it."""

    client_id: str
    name: str
    kind: AgencyKind
    area: str | None
    limit: RateLimit
    read_limit: RateLimit
    created_at: datetime
    revoked_at: datetime | None
    live_keys: int


class AgencyError(ValueError):
    """A registration or key operation that cannot be done."""


class AlreadyRegistered(AgencyError):
    """The client id is taken: registering again issues no key."""

    def __init__(self, client_id: str) -> None:
        super().__init__(f"client {client_id} is already registered")
        self.client_id = client_id


async def register(
    conn: Connection,
    *,
    client_id: str,
    name: str,
    kind: AgencyKind,
    area: str | None,
    limit: RateLimit,
    key_lifetime: timedelta,
    read_limit: RateLimit | None = None,
) -> ApiKey:
    """Register a client and issue its first key; reads get their kind's default budget unless
    `read_limit` says otherwise."""
    reads = read_limit or DEFAULT_READ_LIMITS[kind]
    if not CLIENT_ID.fullmatch(client_id):
        raise AgencyError("client id: 3-63 of a-z, 0-9 and '-', starting with a letter or digit")
    async with conn.transaction():
        inserted = await conn.fetchval(
            "INSERT INTO intake.agencies (client_id, name, kind, area, rate_per_minute, burst,"
            " read_rate_per_minute, read_burst) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT DO NOTHING RETURNING true",
            client_id,
            name,
            kind.value,
            area,
            limit.per_minute,
            limit.burst,
            reads.per_minute,
            reads.burst,
        )
        if not inserted:
            raise AlreadyRegistered(client_id)
        await conn.execute("INSERT INTO intake.rate_limits (client_id) VALUES ($1)", client_id)
        return await _issue_key(conn, client_id=client_id, lifetime=key_lifetime)


async def rotate(
    conn: Connection, *, client_id: str, grace: timedelta, key_lifetime: timedelta
) -> ApiKey:
    """Issue a new key; the client's older keys stop working once `grace` has passed."""
    async with conn.transaction():
        await _require_active(conn, client_id)
        await conn.execute(
            "UPDATE intake.agency_keys SET expires_at = least(expires_at, now() + $2::interval)"
            " WHERE client_id = $1 AND revoked_at IS NULL",
            client_id,
            grace,
        )
        return await _issue_key(conn, client_id=client_id, lifetime=key_lifetime)


async def revoke(conn: Connection, *, client_id: str) -> None:
    """Revoke the client and every key it holds, at once."""
    async with conn.transaction():
        await _require_active(conn, client_id)
        await conn.execute(
            "UPDATE intake.agencies SET revoked_at = now() WHERE client_id = $1", client_id
        )
        await conn.execute(
            "UPDATE intake.agency_keys SET revoked_at = now()"
            " WHERE client_id = $1 AND revoked_at IS NULL",
            client_id,
        )


async def list_agencies(conn: Connection) -> list[Agency]:
    """Every registered client with how many unexpired, unrevoked keys it holds."""
    rows = await conn.fetch(
        "SELECT a.*, (SELECT count(*) FROM intake.agency_keys k WHERE k.client_id = a.client_id"
        "   AND k.revoked_at IS NULL AND k.expires_at > now()) AS live_keys"
        " FROM intake.agencies a ORDER BY a.client_id"
    )
    return [
        Agency(
            client_id=row["client_id"],
            name=row["name"],
            kind=AgencyKind(row["kind"]),
            area=row["area"],
            limit=RateLimit(per_minute=row["rate_per_minute"], burst=row["burst"]),
            read_limit=RateLimit(per_minute=row["read_rate_per_minute"], burst=row["read_burst"]),
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
            live_keys=row["live_keys"],
        )
        for row in rows
    ]


async def _require_active(conn: Connection, client_id: str) -> None:
    revoked = await conn.fetchrow(
        "SELECT revoked_at FROM intake.agencies WHERE client_id = $1 FOR UPDATE", client_id
    )
    if revoked is None:
        raise AgencyError(f"no client {client_id} is registered")
    if revoked["revoked_at"] is not None:
        raise AgencyError(f"client {client_id} is revoked")


async def _issue_key(conn: Connection, *, client_id: str, lifetime: timedelta) -> ApiKey:
    key = new_key()
    await conn.execute(
        "INSERT INTO intake.agency_keys (key_id, client_id, secret_hash, expires_at)"
        " VALUES ($1, $2, $3, now() + $4::interval)",
        key.key_id,
        client_id,
        key.secret_hash,
        lifetime,
    )
    return key
