"""Every service a case meets, served for real: intake, assessment, panel, audit, worker and
relay."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
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
from safeguard.codes import ConsentPolicy
from safeguard.db.pool import create_pool
from safeguard.outbox import OutboxRelay
from safeguard.policy import LifecyclePolicy
from safeguard.settings import Settings
from services.assessment.app import create_app as assessment_app
from services.audit.app import create_app as audit_app
from services.intake.app import create_app as intake_app
from services.intake.starter import StartTiming
from services.panel.app import create_app as panel_app
from tests import synthetic
from tests.helpers import assert_eventually
from tests.intake.clients import register_client
from tests.panel.driver import AREA, PanelDriver, Staff, new_key
from tests.servers import serve
from workflows.referral.worker import build_worker


@dataclass
class Journey:
    """The services' URLs and the clock; everything else goes through HTTP."""

    intake: str
    assessment: str
    audit: str
    panel: PanelDriver
    http: httpx.AsyncClient
    staff: Staff
    partner: dict[str, str]
    temporal: Client
    env: WorkflowEnvironment
    people: random.Random

    def person(self, *, adult: bool | None = None) -> synthetic.Profile:
        """Someone referred, drawn by the national shares (sector, concern, age)."""
        return synthetic.draw(self.people, dt.datetime.now(dt.UTC).date(), adult=adult)

    async def refer(self, person: synthetic.Profile | None = None) -> str:
        """A partner's referral through intake (a child unless told); its reference."""
        form = synthetic.referral_form(person or self.person(adult=False), AREA)
        answer = await self.http.post(
            f"{self.intake}/v1/referrals",
            json=form,
            headers=self.partner | {"Idempotency-Key": new_key()},
        )
        assert answer.status_code == 201, answer.text
        reference: str = answer.json()["reference"]
        return reference

    async def partner_status(self, reference: str) -> str:
        """What the referring partner is told."""
        answer = await self.http.get(
            f"{self.intake}/v1/referrals/{reference}", headers=self.partner
        )
        status: str = answer.json()["status"]
        return status

    async def police_refer_to_channel(self, reference: str) -> None:
        """The officer finds the task in their inbox and refers the case to Channel."""
        await self.police_assess(reference, "REFERRED_TO_CHANNEL")

    async def police_assess(self, reference: str, outcome: str) -> None:
        """The officer finds the task in their inbox and records the gateway outcome."""
        officer = self.staff.officer()

        async def inbox() -> list[dict[str, Any]]:
            page = await self.http.get(f"{self.assessment}/v1/tasks", headers=officer)
            return [t for t in page.json()["items"] if t["reference"] == reference]

        await assert_eventually(inbox)
        answer = await self.http.post(
            f"{self.assessment}/v1/cases/{reference}/gateway-assessment",
            headers=officer,
            json={
                "outcome": outcome,
                "reasons": "Reasonable grounds to believe the person is vulnerable.",
                "deconfliction": "no_live_interest",
                "database_checks": "Nothing held.",
            }
            | ({"signposted_to": "early_help"} if outcome == "SIGNPOSTED" else {}),
        )
        assert answer.status_code == 200, answer.text

    async def advance(self, reference: str, days: float) -> None:
        """Move the case's virtual clock forward."""
        handle = self.temporal.get_workflow_handle(f"referral-{reference}")
        await self.env.fast_forward(handle, timedelta(days=days))

    async def queue_item(self, reference: str) -> dict[str, Any] | None:
        """The case's line in the chair's work queue."""
        page = await self.panel.ok("GET", "/v1/queue")
        return next((i for i in page["items"] if i["reference"] == reference), None)


def policy_settings(settings: Settings, policy: ConsentPolicy, key_dir: Path) -> Settings:
    """The test's settings under one consent policy, trusting this test's staff tokens."""
    jwks = json.dumps(public_key_set(development_signing_key(key_dir)))
    return settings.model_copy(
        update={
            "lifecycle": LifecyclePolicy(consent_policy=policy),
            "staff_jwks": SecretStr(jwks),
        }
    )


@pytest.fixture(params=list(ConsentPolicy), ids=[p.value for p in ConsentPolicy])
async def journey(
    request: pytest.FixtureRequest,
    settings: Settings,
    temporal_client: Client,
    temporal_env: WorkflowEnvironment,
    tmp_path: Path,
) -> AsyncIterator[Journey]:
    """The whole system under one consent policy."""
    configured = policy_settings(settings, request.param, tmp_path)
    pool = await create_pool(configured)
    worker = build_worker(temporal_client, pool, task_queue=configured.temporal_task_queue)
    relay = OutboxRelay(settings=configured, pool=pool)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running(worker.run(), relay.run()))
        timing = StartTiming(poll_seconds=0.2)
        intake = await stack.enter_async_context(
            serve(intake_app(configured, temporal=temporal_client, timing=timing))
        )
        internal = configured.model_copy(update={"intake_internal_url": intake})
        assessment = await stack.enter_async_context(
            serve(assessment_app(internal, temporal=temporal_client))
        )
        panel = await stack.enter_async_context(
            serve(panel_app(internal, temporal=temporal_client))
        )
        audit = await stack.enter_async_context(
            serve(audit_app(internal, temporal=temporal_client))
        )
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
        staff = Staff(development_signing_key(tmp_path))
        yield Journey(
            intake=intake,
            assessment=assessment,
            audit=audit,
            panel=PanelDriver(url=panel, http=http, staff=staff),
            http=http,
            staff=staff,
            partner=await register_client(pool, "riverside-academy"),
            temporal=temporal_client,
            env=temporal_env,
            people=random.Random(request.node.nodeid),
        )
    await pool.close()
