"""Registering API clients for tests."""

from __future__ import annotations

from datetime import timedelta

import httpx

from safeguard.auth import agencies
from safeguard.auth.agencies import AgencyKind, RateLimit
from safeguard.db.pool import Pool
from tests.helpers import assert_eventually

# Generous, so only the rate-limit tests ever meet a limit.
TEST_LIMIT = RateLimit(per_minute=6000, burst=1000)


async def register_client(
    pool: Pool,
    client_id: str,
    *,
    kind: AgencyKind = AgencyKind.PARTNER,
    limit: RateLimit = TEST_LIMIT,
    read_limit: RateLimit = TEST_LIMIT,
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
            read_limit=read_limit,
        )
    return bearer(key.token)


def bearer(token: str) -> dict[str, str]:
    """Authorization header for an API key."""
    return {"Authorization": f"Bearer {token}"}


async def case_started(
    http: httpx.AsyncClient, intake: str, headers: dict[str, str], reference: str
) -> None:
    """Wait until the partner's status says the case runs: intake answers a referral before
    its starter starts the workflow, a moment later."""

    async def status() -> str:
        answer = await http.get(f"{intake}/v1/referrals/{reference}", headers=headers)
        found: str = answer.json()["status"]
        return found

    await assert_eventually(status, lambda found: found != "received")
