"""SQL of the protected figures (statistics.protected_periods and protected_scopes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from safeguard.db.pool import Connection

# Heard by the protecting process: a period was asked for that it has nothing usable for.
CHANNEL = "statistics_protection"
# The kind of the Prevent lead's figures; a release's kind is its age scheme's code.
DASHBOARD = "dashboard"


@dataclass(frozen=True)
class Made:
    """How a period's stored protection was made."""

    made_at: dt.datetime
    threshold: int
    national_whole: bool
    fingerprint: bytes


@dataclass(frozen=True)
class Stored:
    """One scope's protected figures, and how its period's protection was made."""

    content: Any
    made: Made
    requested_at: dt.datetime


async def stored(conn: Connection, *, period: str, kind: str, scope: str) -> Stored | None:
    """The scope's stored figures; None if its period has none yet."""
    row = await conn.fetchrow(
        "SELECT p.made_at, p.threshold, p.national_whole, p.fingerprint, p.requested_at,"
        " s.content"
        " FROM statistics.protected_periods p JOIN statistics.protected_scopes s"
        " USING (period, kind) WHERE period = $1 AND kind = $2 AND s.scope = $3"
        " AND p.made_at IS NOT NULL",
        period,
        kind,
        scope,
    )
    if row is None:
        return None
    made = Made(row["made_at"], row["threshold"], row["national_whole"], row["fingerprint"])
    return Stored(row["content"], made, row["requested_at"])


# How often a period being read notes that it was asked for (a write per read would be waste).
NOTE_EVERY = dt.timedelta(hours=1)


async def request(conn: Connection, *, period: str, kind: str, usable: bool) -> None:
    """Note that the period was asked for (the protector keeps such periods fresh), and wake
    the protector when what it has stored is not `usable`."""
    await conn.execute(
        "INSERT INTO statistics.protected_periods (period, kind) VALUES ($1, $2)"
        " ON CONFLICT (period, kind) DO UPDATE SET requested_at = now()"
        " WHERE statistics.protected_periods.requested_at < now() - $3::interval",
        period,
        kind,
        NOTE_EVERY,
    )
    if not usable:
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)


async def due(
    conn: Connection, *, within: dt.timedelta, every: dt.timedelta, threshold: int, whole: bool
) -> list[tuple[str, str]]:
    """(period, kind) asked for within the last `within` whose protection is missing, made
    under other settings, or older than `every`; those unusable first."""
    rows = await conn.fetch(
        "SELECT period, kind FROM statistics.protected_periods"
        " WHERE requested_at > now() - $1::interval AND (made_at IS NULL"
        " OR threshold <> $3 OR national_whole <> $4 OR made_at < now() - $2::interval)"
        " ORDER BY made_at IS NOT NULL AND threshold = $3 AND national_whole = $4,"
        " made_at NULLS FIRST",
        within,
        every,
        threshold,
        whole,
    )
    return [(row["period"], row["kind"]) for row in rows]


async def fingerprint(conn: Connection, *, period: str, kind: str) -> bytes | None:
    """The fingerprint the period's stored protection was made from (None: none stored)."""
    found: bytes | None = await conn.fetchval(
        "SELECT fingerprint FROM statistics.protected_periods WHERE period = $1 AND kind = $2",
        period,
        kind,
    )
    return found


async def still_fresh(conn: Connection, *, period: str, kind: str, made_at: dt.datetime) -> None:
    """The figures have not changed since the stored protection: it stands as of `made_at`."""
    await conn.execute(
        "UPDATE statistics.protected_periods SET made_at = $3 WHERE period = $1 AND kind = $2",
        period,
        kind,
        made_at,
    )


async def save(
    conn: Connection, *, period: str, kind: str, made: Made, scopes: Mapping[str, Any]
) -> None:
    """Every scope's figures, replacing what was stored (in the caller's transaction, so
    readers see all of the old or all of the new)."""
    await conn.execute(
        "INSERT INTO statistics.protected_periods"
        " (period, kind, made_at, threshold, national_whole, fingerprint)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (period, kind) DO UPDATE SET"
        " made_at = $3, threshold = $4, national_whole = $5, fingerprint = $6",
        period,
        kind,
        made.made_at,
        made.threshold,
        made.national_whole,
        made.fingerprint,
    )
    await conn.execute(
        "DELETE FROM statistics.protected_scopes WHERE period = $1 AND kind = $2", period, kind
    )
    await conn.executemany(
        "INSERT INTO statistics.protected_scopes (period, kind, scope, content)"
        " VALUES ($1, $2, $3, $4)",
        [(period, kind, scope, content) for scope, content in scopes.items()],
    )
