"""Temporal stopped while referrals arrive: all accepted, all started once it is back, once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from safeguard.db.pool import Pool, create_pool
from safeguard.settings import Settings
from safeguard.stack.temporal import temporal_binary
from services.intake.app import create_app
from services.intake.starter import StartTiming
from tests.helpers import assert_eventually, free_port
from tests.intake.clients import register_client
from tests.intake.forms import school_form
from tests.own_postgres import own_postgres
from tests.proxy import proxy_to
from tests.servers import serve
from workflows.referral.workflows import workflow_id_for


class RestartableTemporal:
    """A dev server persisted to a file, so it can stop and come back on the same port."""

    def __init__(self, db_file: Path) -> None:
        self.port = free_port()
        self.db_file = db_file
        self.env: WorkflowEnvironment | None = None

    async def start(self) -> None:
        """Start (or restart) the server."""
        self.env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(temporal_binary()),
            dev_server_database_filename=str(self.db_file),
            port=self.port,
            data_converter=pydantic_data_converter,
        )

    async def stop(self) -> None:
        """Stop the server process."""
        if self.env is not None:
            await self.env.shutdown()
            self.env = None


@pytest.fixture
async def temporal(tmp_path: Path) -> AsyncIterator[RestartableTemporal]:
    """A Temporal server this test may stop and start."""
    server = RestartableTemporal(tmp_path / "temporal.db")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _submit(http: httpx.AsyncClient, headers: dict[str, str], n: int) -> httpx.Response:
    form = school_form(given_names=f"Person{n}")
    answer = await http.post(
        "/v1/referrals", json=form, headers=headers | {"Idempotency-Key": f"key-{n}"}
    )
    assert answer.status_code == 201, answer.text
    return answer


async def _statuses(
    http: httpx.AsyncClient, headers: dict[str, str], refs: list[str]
) -> list[tuple[str, bool]]:
    answers = [await http.get(f"/v1/referrals/{ref}", headers=headers) for ref in refs]
    return [(a.json()["status"], a.json()["queued"]) for a in answers]


async def _runs_per_reference(client: Client, references: list[str]) -> dict[str, int]:
    runs: dict[str, int] = dict.fromkeys(references, 0)
    async for execution in client.list_workflows():
        reference = execution.id.removeprefix("referral-")
        if reference in runs:
            runs[reference] += 1
    return runs


async def _started_by(client: Client, reference: str) -> Any:
    """The agency in the workflow's input (payloads are plain JSON under this converter)."""
    history = await client.get_workflow_handle(workflow_id_for(reference)).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    return json.loads(started.input.payloads[0].data)["agency"]


async def test_referrals_accepted_while_temporal_is_down_start_once_it_returns(
    settings: Settings, pool: Pool, temporal: RestartableTemporal
) -> None:
    client = await Client.connect(
        f"127.0.0.1:{temporal.port}", data_converter=pydantic_data_converter
    )
    app = create_app(
        settings, temporal=client, timing=StartTiming(poll_seconds=0.2, max_backoff_seconds=2)
    )
    headers = await register_client(pool, "agency-a")
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        before = [(await _submit(http, headers, n)).json()["reference"] for n in range(3)]
        await assert_eventually(
            lambda: _statuses(http, headers, before),
            lambda s: s == [("being_assessed", False)] * 3,
        )

        await temporal.stop()
        during = [(await _submit(http, headers, n)).json()["reference"] for n in range(3, 13)]
        assert await _statuses(http, headers, during) == [("received", True)] * 10
        # A client that timed out and retries gets its first answer, not a second case.
        retried = await _submit(http, headers, 7)
        assert retried.json()["reference"] == during[4]

        await asyncio.sleep(1)  # let the starter fail a few times and back off
        await temporal.start()
        everyone = before + during

        async def started() -> list[tuple[str, bool]]:
            return await _statuses(http, headers, everyone)

        await assert_eventually(started, lambda s: s == [("being_assessed", False)] * 13, within=60)

    runs = await assert_eventually(
        lambda: _runs_per_reference(client, everyone),
        lambda found: set(found.values()) == {1},
        within=30,
    )
    assert sorted(runs) == sorted(everyone)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM intake.referrals") == 13
    described = await client.get_workflow_handle(workflow_id_for(during[0])).describe()
    assert described.id == workflow_id_for(during[0])
    # A start taken from the queue names the submitting agency as one made at once does.
    assert await _started_by(client, during[0]) == {
        "client_id": "agency-a",
        "name": "Test agency agency-a",
    }


async def test_a_referral_accepted_after_a_database_outage_starts_at_once(
    settings: Settings, temporal_client: Client, tmp_path: Path
) -> None:
    """The starter notices the end of an outage within a poll rather than after a backoff."""
    async with own_postgres(tmp_path / "postgres") as database:
        configured = settings.model_copy(update={"database_url": database.dsn})
        # Polls of 0.2 s: a backoff doubling from there would, 14 s into an outage, wait
        # 12.8 s before its next look at the queue.
        timing = StartTiming(poll_seconds=0.2, max_backoff_seconds=3600)
        app = create_app(configured, temporal=temporal_client, timing=timing)
        setup = await create_pool(configured)
        try:
            headers = await register_client(setup, "agency-a")
        finally:
            await setup.close()
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            await database.stop()
            await asyncio.sleep(14)
            await database.start()
            reference = (await _submit(http, headers, 1)).json()["reference"]
            accepted = asyncio.get_running_loop().time()
            await assert_eventually(
                lambda: _statuses(http, headers, [reference]),
                lambda s: s == [("being_assessed", False)],
                within=30,
            )
            assert asyncio.get_running_loop().time() - accepted < 3


async def _claimed(pool: Pool, reference: str) -> bool:
    """Whether a starter has taken the referral's start (and not recorded it done)."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT start_attempts, workflow_started_at FROM intake.referrals WHERE reference = $1",
            reference,
        )
    return row is not None and row["start_attempts"] > 0 and row["workflow_started_at"] is None


async def test_a_start_cut_short_by_a_crash_is_made_by_the_next_intake(
    settings: Settings, pool: Pool, temporal_client: Client
) -> None:
    """Intake stops with a start on its way to Temporal (every call arrives 2 s late): its
    claim runs out, and the next intake makes the start (or finds it made), once."""
    headers = await register_client(pool, "agency-a")
    target = temporal_client.service_client.config.target_host
    async with proxy_to(target, delay=2.0) as slow:
        late = await Client.connect(slow.address, data_converter=temporal_client.data_converter)
        timing = StartTiming(poll_seconds=0.2, lease_seconds=1)
        first = create_app(settings, temporal=late, timing=timing)
        async with serve(first) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            reference = (await _submit(http, headers, 1)).json()["reference"]
            await assert_eventually(lambda: _claimed(pool, reference))
    # Nothing recorded it started: the start died with the process, or reached Temporal just
    # before the proxy was cut.
    assert await _claimed(pool, reference)
    second = create_app(settings, temporal=temporal_client, timing=StartTiming(poll_seconds=0.2))
    async with serve(second) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        await assert_eventually(
            lambda: _statuses(http, headers, [reference]),
            lambda s: s == [("being_assessed", False)],
        )
    await assert_eventually(
        lambda: _runs_per_reference(temporal_client, [reference]), {reference: 1}.__eq__
    )
