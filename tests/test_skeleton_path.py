"""One referral end to end: intake → workflow → outbox → Kafka → assessment and notifications."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pydantic import SecretStr
from temporalio.client import Client

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set
from safeguard.background import running
from safeguard.codes import Role, Stage
from safeguard.db.pool import Pool, create_pool
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.outbox import OutboxRelay
from safeguard.settings import Settings
from services.assessment.app import create_app as assessment_app
from services.intake.app import create_app as intake_app
from services.notifications.app import create_app as notifications_app
from tests.helpers import assert_eventually
from tests.intake.clients import case_started, register_client
from tests.servers import serve
from workflows.referral.worker import build_worker
from workflows.referral.workflows import ReferralWorkflow

REFERRAL: dict[str, Any] = {
    "referrer": {
        "name": "Alex Morgan",
        "role": "Designated safeguarding lead",
        "organisation": "Riverside Academy",
        "sector": "education",
        "email": "dsl@riverside.example.org",
    },
    "person": {"given_names": "Sam", "family_name": "Whitfield", "date_of_birth": "2010-03-14"},
    "concern": {"type": "mixed_unclear_unstable", "description": "Shared violent material."},
}


@dataclass
class System:
    """Base URLs of the running services and what the test needs to look inside."""

    intake: str
    assessment: str
    notifications: str
    pool: Pool
    partner: dict[str, str]


@pytest.fixture
async def system(
    settings: Settings, temporal_client: Client, tmp_path: Path
) -> AsyncIterator[System]:
    """Every piece of the path running for real: three services, the worker and the relay."""
    pool = await create_pool(settings)
    worker = build_worker(temporal_client, pool, task_queue=settings.temporal_task_queue)
    relay = OutboxRelay(settings=settings, pool=pool)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running(worker.run(), relay.run()))
        yield System(
            intake=await stack.enter_async_context(
                serve(intake_app(settings, temporal=temporal_client))
            ),
            assessment=await stack.enter_async_context(
                serve(assessment_app(_trusting(settings, tmp_path), temporal=temporal_client))
            ),
            notifications=await stack.enter_async_context(
                serve(notifications_app(_trusting(settings, tmp_path)))
            ),
            pool=pool,
            partner=await register_client(pool, "riverside-academy"),
        )
    await pool.close()


def _trusting(settings: Settings, key_dir: Path) -> Settings:
    """Settings whose staff key set verifies `_officer()`'s tokens."""
    jwks = json.dumps(public_key_set(development_signing_key(key_dir)))
    return settings.model_copy(update={"staff_jwks": SecretStr(jwks)})


def _officer(key_dir: Path) -> dict[str, str]:
    """An area E08000003 Prevent officer's token and the purpose of the read."""
    principal = StaffPrincipal(
        subject="officer-17", role=Role.PREVENT_OFFICER, areas=("E08000003",)
    )
    token = mint(
        development_signing_key(key_dir),
        principal=principal,
        issuer="safeguard-dev",
        audience="safeguard",
        ttl_seconds=600,
    )
    return {"Authorization": f"Bearer {token}", "X-Purpose": "skeleton path"}


async def _read_events(settings: Settings, expected: int) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        settings.topic(REFERRAL_EVENTS),
        bootstrap_servers=settings.kafka_servers(),
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    try:
        found: list[dict[str, Any]] = []
        async with asyncio.timeout(30):
            while len(found) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                found += [json.loads(m.value) for msgs in batch.values() for m in msgs]
        return found
    finally:
        await consumer.stop()


async def test_referral_travels_the_whole_path(
    system: System, settings: Settings, temporal_client: Client, tmp_path: Path
) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{system.intake}/v1/referrals", json=REFERRAL, headers=system.partner
        )
        assert answer.status_code == 201, answer.text
        reference = answer.json()["reference"]
        assert re.fullmatch(r"PRV-\d{4}-\d{6}", reference)
        assert answer.headers["location"] == f"/v1/referrals/{reference}"
        # The 201 answers the commit; intake's starter starts the case a moment later.
        await case_started(http, system.intake, system.partner, reference)

        handle = temporal_client.get_workflow_handle(f"referral-{reference}")
        status = await assert_eventually(
            lambda: handle.query(ReferralWorkflow.status),
            lambda status: status.stage is Stage.GATEWAY_ASSESSMENT,
        )
        assert "record_gateway_assessment" in status.allowed_actions

        events = await _read_events(settings, expected=1)
        assert [e["type"] for e in events] == ["referral.submitted"]
        assert events[0]["data"]["reference"] == reference
        wire = json.dumps(events)
        for personal in ("Whitfield", "Sam", "2010-03-14", "Alex Morgan", "riverside"):
            assert personal not in wire

        async def tasks() -> list[dict[str, Any]]:
            page = await http.get(f"{system.assessment}/v1/tasks", headers=_officer(tmp_path))
            items: list[dict[str, Any]] = page.json()["items"]
            return items

        listed = await assert_eventually(tasks)
        assert [(t["reference"], t["kind"], t["stage"]) for t in listed] == [
            (reference, "gateway_assessment", "GATEWAY_ASSESSMENT")
        ]

        async def notifications() -> list[dict[str, Any]]:
            log = await http.get(
                f"{system.notifications}/v1/notifications",
                params={"reference": reference},
                headers=_officer(tmp_path),
            )
            if log.status_code == 404:  # the case is not known there yet
                return []
            entries: list[dict[str, Any]] = log.json()
            return entries

        sent = await assert_eventually(notifications)
        # The referrer is acknowledged and the area's Prevent officers told of a new task.
        assert sorted((n["recipient_role"], n["template"]) for n in sent) == [
            ("prevent_officers", "assessment_task_new"),
            ("referrer", "referral_acknowledgement"),
        ]

        lookup = await http.get(f"{system.intake}/v1/referrals/{reference}", headers=system.partner)
        assert lookup.json()["status"] == "being_assessed"


async def test_unknown_reference_is_a_problem_document(system: System) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.get(
            f"{system.intake}/v1/referrals/PRV-2026-999999", headers=system.partner
        )
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Unknown referral"


async def test_invalid_referral_names_each_bad_field(system: System) -> None:
    bad = json.loads(json.dumps(REFERRAL))
    bad["person"]["date_of_birth"] = "2999-01-01"
    bad["referrer"]["sector"] = "astrology"
    bad["unexpected"] = True
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{system.intake}/v1/referrals", json=bad, headers=system.partner)
    assert answer.status_code == 422
    fields = {error["field"] for error in answer.json()["errors"]}
    assert fields == {
        "body.person.date_of_birth",
        "body.referrer.sector",
        "body.unexpected",
    }
    async with system.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM intake.referrals") == 0
