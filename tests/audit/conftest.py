"""The audit service served for real, beside the worker and the outbox relay."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set
from safeguard.background import running
from safeguard.codes import GatewayOutcome, Role, Stage
from safeguard.db.pool import Pool, create_pool
from safeguard.outbox import OutboxRelay
from safeguard.settings import Settings
from services.audit.app import create_app
from tests.helpers import assert_eventually
from tests.servers import serve
from tests.workflow import builders as b
from workflows.referral.models import ReferralWorkflowInput
from workflows.referral.worker import build_worker
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

PURPOSE = {"X-Purpose": "annual audit of closed cases"}
DATE_OF_BIRTH = dt.date(2011, 4, 2)


async def start_case(
    client: Client, task_queue: str, *, history_limit: int = 5_000
) -> tuple[str, WorkflowHandle[Any, Any]]:
    """Start a case as intake would (continuing as new once its history has `history_limit`
    events); return its reference and handle."""
    referral_id = uuid.uuid4()
    reference = f"PRV-2031-{referral_id.int % 1_000_000:06d}"
    handle = await client.start_workflow(
        ReferralWorkflow.run,
        ReferralWorkflowInput(
            referral_id=referral_id,
            reference=reference,
            sector="education",
            concern_type="mixed_unclear_unstable",
            received_at=dt.datetime.now(dt.UTC),
            area="E09000033",
            date_of_birth=DATE_OF_BIRTH,
            history_limit=history_limit,
        ),
        id=workflow_id_for(reference),
        task_queue=task_queue,
    )
    return reference, handle


@dataclass
class Audit:
    """The audit service's URL and what a test needs to drive cases and look inside."""

    url: str
    http: httpx.AsyncClient
    pool: Pool
    temporal: Client
    env: WorkflowEnvironment
    task_queue: str
    key: dict[str, Any]
    # What `safeguard` needs to reach this database and Temporal and trust `key`.
    cli_env: dict[str, str]

    def headers(
        self, role: Role = Role.AUDITOR, subject: str = "auditor-1", agency: str | None = None
    ) -> dict[str, str]:
        """A staff token of `role` (of `agency`), with a stated purpose."""
        token = mint(
            self.key,
            principal=StaffPrincipal(subject=subject, role=role, agency=agency),
            issuer="safeguard-dev",
            audience="safeguard",
            ttl_seconds=600,
        )
        return {"Authorization": f"Bearer {token}"} | PURPOSE

    async def open_case(self, history_limit: int = 5_000) -> tuple[str, WorkflowHandle[Any, Any]]:
        """Start a case as intake would (continuing as new once its history has
        `history_limit` events); return its reference and handle."""
        return await start_case(self.temporal, self.task_queue, history_limit=history_limit)

    async def close_with_no_further_action(self, handle: WorkflowHandle[Any, Any]) -> None:
        """The officer's gateway assessment: no further action, so the case closes."""
        await assert_eventually(
            lambda: handle.query(ReferralWorkflow.status),
            lambda status: status.stage is Stage.GATEWAY_ASSESSMENT,
        )
        await handle.execute_update(
            ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
        )

    def token(self) -> str:
        """An auditor's staff token."""
        return self.headers()["Authorization"].removeprefix("Bearer ")

    async def console(self, *args: str) -> tuple[int, str, str]:
        """Run the installed `safeguard` console script; its exit code, stdout and stderr."""
        script = await asyncio.create_subprocess_exec(
            Path(sys.executable).parent / "safeguard",
            *args,
            env=self.cli_env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await script.communicate()
        assert script.returncode is not None
        return script.returncode, out.decode(), err.decode()

    async def archived_runs(self, reference: str) -> int:
        """How many runs of the case the archive holds."""
        async with self.pool.acquire() as conn:
            count: int = await conn.fetchval(
                "SELECT count(*) FROM audit.history_archive a JOIN audit.cases c USING"
                " (referral_id) WHERE c.reference = $1",
                reference,
            )
        return count


@pytest.fixture
async def audit(
    settings: Settings, temporal_client: Client, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[Audit]:
    """The worker, the relay and the audit service (its consumer and archiver included)."""
    async with running_audit(settings, temporal_client, temporal_env, tmp_path) as audit:
        yield audit


@asynccontextmanager
async def running_audit(
    settings: Settings, temporal_client: Client, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[Audit]:
    """The worker, the relay and the audit service on the given Temporal server."""
    key = development_signing_key(tmp_path)
    served = settings.model_copy(update={"staff_jwks": SecretStr(json.dumps(public_key_set(key)))})
    pool = await create_pool(settings)
    worker = build_worker(temporal_client, pool, task_queue=settings.temporal_task_queue)
    relay = OutboxRelay(settings=settings, pool=pool)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running(worker.run(), relay.run()))
        url = await stack.enter_async_context(serve(create_app(served, temporal=temporal_client)))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=60))
        cli_env = os.environ | {
            "SAFEGUARD_ENVIRONMENT": "test",
            "SAFEGUARD_DATA_DIR": str(tmp_path),
            "SAFEGUARD_DATABASE_URL": settings.database_dsn(),
            "SAFEGUARD_TEMPORAL_ADDRESS": temporal_client.service_client.config.target_host,
            "SAFEGUARD_STAFF_JWKS": json.dumps(public_key_set(key)),
        }
        yield Audit(
            url,
            http,
            pool,
            temporal_client,
            temporal_env,
            settings.temporal_task_queue,
            key,
            cli_env,
        )
    await pool.close()
