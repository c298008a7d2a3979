"""The panel service served for real, beside intake, the worker and the outbox relay."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from safeguard.auth.staff import development_signing_key, public_key_set
from safeguard.background import running
from safeguard.codes import GatewayOutcome, Role
from safeguard.db.pool import Pool, create_pool
from safeguard.outbox import OutboxRelay
from safeguard.settings import Settings
from services.intake.app import create_app as intake_app
from services.intake.starter import StartTiming
from services.panel.app import create_app
from tests.helpers import assert_eventually
from tests.intake.clients import case_started, register_client
from tests.panel.driver import AREA, PanelDriver, Staff, new_key, referral_form
from tests.servers import serve
from workflows.referral import actions as a
from workflows.referral.worker import build_worker
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

# What the police recorded: the last two fields must never leave the police.
GATEWAY = {
    "reasons": "Vulnerable to grooming by an online group.",
    "deconfliction": "live_interest",
    "database_checks": "PNC: a caution in 2024; local intelligence: associates known.",
}


@dataclass
class Pipeline:
    """Intake, the worker and the relay running; the test serves the panel itself."""

    intake: str
    http: httpx.AsyncClient
    pool: Pool
    settings: Settings
    staff: Staff
    temporal: Client
    env: WorkflowEnvironment
    partner: dict[str, str]
    driver: PanelDriver

    async def submit(self, *, area: str = AREA, form: dict[str, Any] | None = None) -> str:
        """Submit a referral through intake; return its reference once its case is open."""
        answer = await self.http.post(
            f"{self.intake}/v1/referrals",
            json=form or referral_form(area),
            headers=self.partner | {"Idempotency-Key": new_key()},
        )
        assert answer.status_code == 201, answer.text
        reference: str = answer.json()["reference"]
        await case_started(self.http, self.intake, self.partner, reference)
        handle = self.temporal.get_workflow_handle(workflow_id_for(reference))
        # The case opens gateway assessment once its due dates are worked out.
        await assert_eventually(
            lambda: handle.query(ReferralWorkflow.status),
            lambda status: status.stage == "GATEWAY_ASSESSMENT",
        )
        return reference

    async def refer(self, *, area: str = AREA, form: dict[str, Any] | None = None) -> str:
        """A referral the police sent to Channel (the gateway update made directly)."""
        reference = await self.submit(area=area, form=form)
        await self.temporal.get_workflow_handle(workflow_id_for(reference)).execute_update(
            ReferralWorkflow.record_gateway_assessment,
            a.GatewayAssessmentInput(
                actor=a.Actor(id="officer-17", role=Role.PREVENT_OFFICER),
                outcome=GatewayOutcome.REFERRED_TO_CHANNEL,
                **GATEWAY,
            ),
        )
        return reference

    async def advance(self, reference: str, days: float) -> None:
        """Move one case's virtual clock forward."""
        handle = self.temporal.get_workflow_handle(workflow_id_for(reference))
        await self.env.fast_forward(handle, timedelta(days=days))

    async def rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Rows of a query, as dicts."""
        async with self.pool.acquire() as conn:
            return [dict(row) for row in await conn.fetch(sql, *args)]


def panel_settings(settings: Settings, key: dict[str, Any], intake_url: str) -> Settings:
    """The test's settings, trusting `key` for staff tokens and calling this intake."""
    return settings.model_copy(
        update={
            "staff_jwks": SecretStr(json.dumps(public_key_set(key))),
            "intake_internal_url": intake_url,
        }
    )


def serve_panel(
    settings: Settings, temporal: Client, *, consume: bool = True
) -> AbstractAsyncContextManager[str]:
    """The panel service on loopback."""
    return serve(create_app(settings, temporal=temporal, consume=consume))


@pytest.fixture
def staff(tmp_path: Path) -> Staff:
    """A signing key for this test's staff tokens."""
    return Staff(development_signing_key(tmp_path))


@pytest.fixture
async def pipeline(
    settings: Settings, temporal_client: Client, temporal_env: WorkflowEnvironment, staff: Staff
) -> AsyncIterator[Pipeline]:
    """Intake, the worker and the relay, all real."""
    pool = await create_pool(settings)
    worker = build_worker(temporal_client, pool, task_queue=settings.temporal_task_queue)
    relay = OutboxRelay(settings=settings, pool=pool)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running(worker.run(), relay.run()))
        intake = await stack.enter_async_context(
            serve(
                intake_app(settings, temporal=temporal_client, timing=StartTiming(poll_seconds=0.2))
            )
        )
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
        yield Pipeline(
            intake=intake,
            http=http,
            pool=pool,
            settings=panel_settings(settings, staff.key, intake),
            staff=staff,
            temporal=temporal_client,
            env=temporal_env,
            partner=await register_client(pool, "riverside-academy"),
            driver=PanelDriver(url="", http=http, staff=staff),
        )
    await pool.close()


@pytest.fixture
async def system(pipeline: Pipeline) -> AsyncIterator[Pipeline]:
    """The pipeline with the panel service (and its consumer) running."""
    async with serve_panel(pipeline.settings, pipeline.temporal) as url:
        pipeline.driver.url = url
        yield pipeline
