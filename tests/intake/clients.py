"""Registering API clients for tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from safeguard.auth import agencies
from safeguard.auth.agencies import AgencyKind, RateLimit
from safeguard.db.pool import Pool

# Generous, so only the rate-limit tests ever meet a limit.
TEST_LIMIT = RateLimit(per_minute=6000, burst=1000)


async def register_client(
    pool: Pool,
    client_id: str,
    *,
    kind: AgencyKind = AgencyKind.PARTNER,
    limit: RateLimit = TEST_LIMIT,
    area: str | None = "E08000003",
    lifetime: timedelta = timedelta(days=1),
) -> dict[str, str]:
    """Register a client and return the headers that authenticate as it."""
    async with pool.acquire() as conn:
        key = await agencies.register(
            conn,
            client_id=client_id,
            name=f"Test agency {client_id}",
            kind=kind,
            area=area,
            limit=limit,
            key_lifetime=lifetime,
        )
    return bearer(key.token)


def bearer(token: str) -> dict[str, str]:
    """Authorization header for an API key."""
    return {"Authorization": f"Bearer {token}"}


_reference_blocks = itertools.count(start=100)


async def give_references_of_their_own(pool: Pool) -> None:
    """Start this test's reference serials in a block no other test of the session uses."""
    # Each test has a fresh database but shares the session's Temporal server, where the
    # workflow id is derived from the reference: so each test issues its own block of serials.
    year = datetime.now(UTC).year
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO intake.reference_counters (year, last_serial) VALUES ($1, $2)",
            year,
            next(_reference_blocks) * 1000,
        )
