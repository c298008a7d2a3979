"""The OpenAPI, tested by schemathesis against the service run as users run it."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from safeguard.auth.agencies import AgencyKind
from safeguard.db.pool import Pool
from safeguard.settings import Settings
from safeguard.stack import Stack
from tests.helpers import assert_eventually, free_port
from tests.intake.clients import TEST_LIMIT, register_client
from tests.openapi.schemathesis import run_schemathesis


def _environment(
    settings: Settings, temporal: Client, clamd: Stack, objects: Path
) -> dict[str, str]:
    return os.environ | {
        "SAFEGUARD_ENVIRONMENT": "test",
        "SAFEGUARD_DATABASE_URL": str(settings.database_url),
        "SAFEGUARD_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_servers(),
        "SAFEGUARD_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "SAFEGUARD_KAFKA_CONSUMER_GROUP_PREFIX": settings.kafka_consumer_group_prefix,
        "SAFEGUARD_TEMPORAL_ADDRESS": temporal.service_client.config.target_host,
        "SAFEGUARD_TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
        # Uploads are scanned: without a scanner every one would be a 503.
        "SAFEGUARD_ATTACHMENTS__CLAMD_PORT": str(clamd.clamd_port()),
        "SAFEGUARD_ATTACHMENTS__LOCAL_DIR": str(objects),
    }


@pytest.fixture
async def served(
    settings: Settings, temporal_client: Client, clamd: Stack, tmp_path: Path
) -> AsyncIterator[str]:
    """Intake in its own process under uvicorn, as `safeguard run` starts it."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "uvicorn", "services.intake.app:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        env=_environment(settings, temporal_client, clamd, tmp_path / "objects"),
    )
    url = f"http://127.0.0.1:{port}"

    async def live() -> bool:
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"{url}/health/live")).status_code == 200
        except httpx.TransportError:
            return False

    try:
        await assert_eventually(live, within=30)
        yield url
    finally:
        process.terminate()
        await process.wait()


async def test_all_checks_pass(
    served: str,
    pool: Pool,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    headers = await register_client(pool, "schemathesis", kind=AgencyKind.PARTNER, limit=TEST_LIMIT)
    run = await run_schemathesis(served, headers, tmp_path)
    record_property("schemathesis_cases", run.cases)
    assert run.returncode == 0, run.output[-8000:]
    # A referral's Location led schemathesis on to its status: the stateful phase ran.
    assert run.phases["stateful"] == "success", run.phases
    # Valid forms got through too, so the run exercised acceptance and not only refusals.
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM intake.referrals") > 0
