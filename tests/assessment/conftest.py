"""The assessment service served for real, beside intake, the worker and the outbox relay."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set
from safeguard.background import running
from safeguard.codes import Role, Stage
from safeguard.db.pool import Pool, create_pool
from safeguard.events.contracts import DomainEvent
from safeguard.outbox import OutboxRelay
from safeguard.settings import Settings
from services.assessment.app import create_app
from services.assessment.events import CONSUMER, handle_event
from services.intake.app import create_app as intake_app
from services.intake.openapi import SCHOOL_REFERRAL
from services.intake.starter import StartTiming
from tests.helpers import assert_eventually
from tests.intake.clients import register_client
from tests.servers import serve
from workflows.referral.worker import build_worker
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

AREA = "E08000003"
OTHER_AREA = "E09000033"
PURPOSE = {"X-Purpose": "gateway assessment"}


@dataclass
class Staff:
    """Mints tokens for any role, signed by the key the service trusts."""

    key: dict[str, Any]

    def headers(
        self,
        role: Role,
        subject: str | None = None,
        areas: tuple[str, ...] = (AREA,),
        agency: str | None = None,
    ) -> dict[str, str]:
        """Authorization (and a stated purpose) for one staff member."""
        principal = StaffPrincipal(
            subject=subject or f"{role.value}-1", role=role, areas=areas, agency=agency
        )
        token = mint(
            self.key,
            principal=principal,
            issuer="safeguard-dev",
            audience="safeguard",
            ttl_seconds=600,
        )
        return {"Authorization": f"Bearer {token}"} | PURPOSE

    def officer(
        self, subject: str = "officer-17", areas: tuple[str, ...] = (AREA,)
    ) -> dict[str, str]:
        """A Prevent officer of `areas`."""
        return self.headers(Role.PREVENT_OFFICER, subject, areas)


@dataclass
class Assessment:
    """The running services and what a test needs to drive and inspect them."""

    url: str
    intake: str
    http: httpx.AsyncClient
    pool: Pool
    settings: Settings
    staff: Staff
    temporal: Client
    env: WorkflowEnvironment
    partner: dict[str, str]

    async def submit(
        self,
        *,
        area: str | None = AREA,
        partner: dict[str, str] | None = None,
        wait: bool = True,
        **person: Any,
    ) -> str:
        """Submit a referral through intake; wait for its task; return its reference.

        `area=None` leaves the form's area out, so the submitting agency's area applies.
        """
        form = copy.deepcopy(SCHOOL_REFERRAL)
        form["person"].update(person)
        form["area"] = area
        answer = await self.http.post(
            f"{self.intake}/v1/referrals",
            json=form,
            headers=(partner or self.partner) | {"Idempotency-Key": str(uuid.uuid4())},
        )
        assert answer.status_code == 201, answer.text
        reference: str = answer.json()["reference"]
        if wait:
            await self.wait_for_tasks(reference, 1)
        return reference

    async def tasks_of(self, reference: str) -> list[dict[str, Any]]:
        """Every task row of a case, straight from the read model."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT * FROM assessment.tasks WHERE reference = $1 ORDER BY created_at",
                reference,
            )
        return [dict(row) for row in rows]

    async def wait_for_tasks(
        self, reference: str, count: int, *, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Wait until the case has `count` tasks (with `status`, if given)."""

        async def probe() -> list[dict[str, Any]]:
            rows = await self.tasks_of(reference)
            return [r for r in rows if status is None or r["status"] == status]

        return await assert_eventually(probe, lambda rows: len(rows) >= count)

    async def wait_for_stage(self, reference: str, stage: Stage) -> None:
        """Wait until the read model has the case in `stage`."""

        async def probe() -> str | None:
            async with self.pool.acquire() as conn:
                found: str | None = await conn.fetchval(
                    "SELECT stage FROM assessment.cases WHERE reference = $1", reference
                )
            return found

        await assert_eventually(probe, lambda stage_now: stage_now == stage)

    async def advance(self, reference: str, days: float) -> None:
        """Move one case's virtual clock forward."""
        handle = self.temporal.get_workflow_handle_for(
            ReferralWorkflow.run, workflow_id_for(reference)
        )
        await self.env.fast_forward(handle, timedelta(days=days))

    async def access_log(self) -> list[dict[str, Any]]:
        """Rows of the access log, oldest first."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT * FROM audit.access_log ORDER BY id")
        return [dict(row) for row in rows]


def staff_settings(settings: Settings, key: dict[str, Any], intake_url: str) -> Settings:
    """The test's settings, trusting `key` for staff tokens and calling this intake."""
    return settings.model_copy(
        update={
            "staff_jwks": SecretStr(json.dumps(public_key_set(key))),
            "intake_internal_url": intake_url,
        }
    )


def serve_assessment(
    settings: Settings, temporal: Client, *, consume: bool = True
) -> AbstractAsyncContextManager[str]:
    """The assessment service on loopback."""
    return serve(create_app(settings, temporal=temporal, consume=consume))


@pytest.fixture
def staff(tmp_path: Path) -> Staff:
    """A signing key for this test's staff tokens."""
    return Staff(development_signing_key(tmp_path))


@pytest.fixture
async def pipeline(
    settings: Settings,
    temporal_client: Client,
    temporal_env: WorkflowEnvironment,
    staff: Staff,
) -> AsyncIterator[Assessment]:
    """Intake, the worker and the relay, all real; the test serves assessment itself."""
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
        yield Assessment(
            url="",
            intake=intake,
            http=http,
            pool=pool,
            settings=staff_settings(settings, staff.key, intake),
            staff=staff,
            temporal=temporal_client,
            env=temporal_env,
            partner=await register_client(pool, "riverside-academy"),
        )
    await pool.close()


@pytest.fixture
async def system(pipeline: Assessment) -> AsyncIterator[Assessment]:
    """The pipeline with the assessment service (and its consumer) running."""
    async with serve_assessment(pipeline.settings, pipeline.temporal) as url:
        pipeline.url = url
        yield pipeline


async def project(pool: Pool, event: DomainEvent, *, at: datetime | None = None) -> uuid.UUID:
    """Apply one event through the projection, as the consumer would; return its id."""
    event_id = uuid.uuid4()
    envelope = event.envelope(event_id=event_id, source="/tests", time=at or datetime.now(UTC))
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO messaging.processed_events (consumer, event_id) VALUES ($1, $2)",
            CONSUMER,
            event_id,
        )
        await handle_event(conn, envelope)
    return event_id


@dataclass
class ReadModel:
    """The assessment service over a read model the test fills through the projection."""

    url: str
    http: httpx.AsyncClient
    pool: Pool
    staff: Staff


@pytest.fixture
async def read_model(
    settings: Settings, temporal_client: Client, staff: Staff
) -> AsyncIterator[ReadModel]:
    """The service without its consumer: tests project the events they need themselves."""
    pool = await create_pool(settings)
    configured = staff_settings(settings, staff.key, "http://127.0.0.1:9")
    async with (
        serve_assessment(configured, temporal_client, consume=False) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        yield ReadModel(url=url, http=http, pool=pool, staff=staff)
    await pool.close()
