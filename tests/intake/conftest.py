"""The intake service served for real, with registered clients to call it as."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from temporalio.client import Client

from safeguard.db.pool import Pool, create_pool
from safeguard.settings import Settings
from services.intake.app import create_app
from services.intake.starter import StartTiming
from tests.helpers import assert_eventually
from tests.intake.clients import register_client
from tests.servers import serve


@dataclass
class Intake:
    """The running service, a client logged in as partner agency A, and the database."""

    url: str
    http: httpx.AsyncClient
    pool: Pool
    agency_a: dict[str, str]

    async def count(self, sql: str = "SELECT count(*) FROM intake.referrals") -> int:
        """A count straight from the database."""
        async with self.pool.acquire() as conn:
            value: int = await conn.fetchval(sql)
            return value

    async def started(self, reference: str) -> None:
        """Wait until the starter has started the referral's workflow (just after its 201)."""
        sql = "SELECT workflow_started_at IS NOT NULL FROM intake.referrals WHERE reference = $1"

        async def recorded() -> bool:
            async with self.pool.acquire() as conn:
                return bool(await conn.fetchval(sql, reference))

        await assert_eventually(recorded)


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    """A pool on this test's database."""
    pool = await create_pool(settings)
    yield pool
    await pool.close()


@pytest.fixture
async def intake(settings: Settings, temporal_client: Client, pool: Pool) -> AsyncIterator[Intake]:
    """The intake service on loopback, talking to the session's Temporal server."""
    app = create_app(settings, temporal=temporal_client, timing=StartTiming(poll_seconds=0.2))
    agency_a = await register_client(pool, "agency-a")
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield Intake(url=url, http=http, pool=pool, agency_a=agency_a)
