"""The statistics service served for real, beside a real intake, on the test's PostgreSQL and
Kafka; the test publishes the lifecycle events of a scripted set of referrals itself."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set
from safeguard.codes import Role
from safeguard.db.pool import Pool, create_pool
from safeguard.events.contracts import DomainEvent
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.kafka.producer import create_producer
from safeguard.settings import Settings, StatisticsSettings
from services.intake.app import create_app as intake_app
from services.intake.openapi import SCHOOL_REFERRAL
from services.intake.starter import StartTiming
from services.statistics.app import create_app
from tests.intake.clients import register_client
from tests.servers import serve


@dataclass
class Statistics:
    """The running services, and what a test needs to feed and ask them."""

    url: str
    intake: str
    http: httpx.AsyncClient
    pool: Pool
    settings: Settings
    key: dict[str, Any]
    partner: dict[str, str]

    def headers(self, role: Role, areas: tuple[str, ...] = ()) -> dict[str, str]:
        """Authorization for one staff member in `role`."""
        principal = StaffPrincipal(subject=f"{role.value}-1", role=role, areas=areas)
        token = mint(
            self.key,
            principal=principal,
            issuer="safeguard-dev",
            audience="safeguard",
            ttl_seconds=600,
        )
        return {"Authorization": f"Bearer {token}"}

    async def submit(self, *, born: dt.date, gender: str | None) -> uuid.UUID:
        """A referral through intake's API (the form is where age and gender come from)."""
        form = copy.deepcopy(SCHOOL_REFERRAL)
        form["person"]["date_of_birth"] = born.isoformat()
        if gender is None:
            form["person"].pop("gender", None)
        else:
            form["person"]["gender"] = gender
        answer = await self.http.post(
            f"{self.intake}/v1/referrals",
            json=form,
            headers=self.partner | {"Idempotency-Key": str(uuid.uuid4())},
        )
        assert answer.status_code == 201, answer.text
        async with self.pool.acquire() as conn:
            found: uuid.UUID = await conn.fetchval(
                "SELECT id FROM intake.referrals WHERE reference = $1", answer.json()["reference"]
            )
        return found

    async def get(
        self, path: str, *, headers: dict[str, str], params: dict[str, str] | None = None
    ) -> httpx.Response:
        """The API's answer, once the period's tables are protected (below the national
        level the first ask answers 503 "Figures being prepared" while the protector works)."""
        for _ in range(300):
            answer = await self.http.get(f"{self.url}{path}", params=params, headers=headers)
            if answer.status_code != 503:
                return answer
            assert answer.json()["title"] == "Figures being prepared", answer.text
            await asyncio.sleep(0.2)
        raise AssertionError(f"{path} {params} still being prepared after a minute")

    async def publish(self, events: list[tuple[DomainEvent, dt.datetime]]) -> None:
        """The lifecycle events onto the topic, in order, keyed by referral as the relay does."""
        producer = create_producer(self.settings)
        await producer.start()
        try:
            for event, at in events:
                envelope = event.envelope(event_id=uuid.uuid4(), source="/tests", time=at)
                await producer.send_and_wait(
                    self.settings.topic(REFERRAL_EVENTS),
                    value=envelope.to_bytes(),
                    key=envelope.partition_key,
                )
        finally:
            await producer.stop()


@pytest.fixture
async def statistics(
    settings: Settings, temporal_client: Client, tmp_path: Path
) -> AsyncIterator[Statistics]:
    """Intake and the statistics service on loopback; suppression below 2 in area tables."""
    key = development_signing_key(tmp_path)
    pool = await create_pool(settings)
    partner = await register_client(pool, "riverside-academy")
    intake = intake_app(settings, temporal=temporal_client, timing=StartTiming(poll_seconds=0.2))
    async with serve(intake) as intake_url:
        ours = settings.model_copy(
            update={
                "staff_jwks": SecretStr(json.dumps(public_key_set(key))),
                "intake_internal_url": intake_url,
                "statistics": StatisticsSettings(suppression_threshold=2, facts_poll_seconds=0.2),
            }
        )
        async with serve(create_app(ours)) as url, httpx.AsyncClient(timeout=60) as http:
            yield Statistics(url, intake_url, http, pool, ours, key, partner)
    await pool.close()
