"""The starter makes workflow starts off the request path: woken by the commit, once each."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from typing import Any

import httpx
import pytest
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowHandle,
)
from temporalio.service import RPCError, RPCStatusCode

from safeguard.db.pool import Pool
from safeguard.settings import Settings
from services.intake.app import create_app
from services.intake.starter import StartTiming
from tests.helpers import assert_eventually
from tests.intake.clients import register_client
from tests.intake.forms import school_form
from tests.proxy import proxy_to
from tests.servers import serve
from workflows.referral.workflows import workflow_id_for

STARTED = ("being_assessed", False)


async def _submit(http: httpx.AsyncClient, headers: dict[str, str], n: int) -> str:
    form = school_form(given_names=f"Person{n}")
    answer = await http.post(
        "/v1/referrals", json=form, headers=headers | {"Idempotency-Key": f"key-{n}"}
    )
    assert answer.status_code == 201, answer.text
    reference: str = answer.json()["reference"]
    return reference


async def _status(http: httpx.AsyncClient, headers: dict[str, str], reference: str) -> Any:
    body = (await http.get(f"/v1/referrals/{reference}", headers=headers)).json()
    return (body["status"], body["queued"])


async def test_the_answer_does_not_wait_for_the_workflow_start(
    settings: Settings, pool: Pool, temporal_client: Client
) -> None:
    """Every call to Temporal arrives 2 s late: the 201 comes before the start reaches it."""
    target = temporal_client.service_client.config.target_host
    async with proxy_to(target, delay=2.0) as slow:
        late = await Client.connect(slow.address, data_converter=temporal_client.data_converter)
        app = create_app(settings, temporal=late, timing=StartTiming(poll_seconds=0.2))
        headers = await register_client(pool, "agency-a")
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            reference = await _submit(http, headers, 1)
            # Answered, stored and queued; its start is still on its way to Temporal.
            assert await _status(http, headers, reference) == ("received", True)
            with pytest.raises(RPCError) as unknown:
                await temporal_client.get_workflow_handle(workflow_id_for(reference)).describe()
            assert unknown.value.status is RPCStatusCode.NOT_FOUND
            await assert_eventually(lambda: _status(http, headers, reference), STARTED.__eq__)


async def test_the_commit_wakes_the_starter_without_waiting_for_its_poll(
    settings: Settings, pool: Pool, temporal_client: Client
) -> None:
    """With a poll of a minute, each referral still starts within moments of its 201."""
    app = create_app(settings, temporal=temporal_client, timing=StartTiming(poll_seconds=60))
    headers = await register_client(pool, "agency-a")
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        # Two in turn: the second arrives after the starter's first look at the queue for sure.
        for n in range(2):
            status = functools.partial(_status, http, headers, await _submit(http, headers, n))
            await assert_eventually(status, STARTED.__eq__, within=30)


class CountingStarts(Interceptor):
    """Notes the workflow id of every start_workflow call made through its client."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Count this client's calls."""
        return _Counting(next, self.ids)


class _Counting(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, ids: list[str]) -> None:
        super().__init__(next)
        self._ids = ids

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        self._ids.append(input.id)
        return await super().start_workflow(input)


def _counted(temporal_client: Client) -> tuple[Client, CountingStarts]:
    counter = CountingStarts()
    client = Client(
        temporal_client.service_client,
        namespace=temporal_client.namespace,
        data_converter=temporal_client.data_converter,
        interceptors=[counter],
    )
    return client, counter


async def test_two_starters_never_start_one_referral_twice(
    settings: Settings, pool: Pool, temporal_client: Client
) -> None:
    """Two intake processes on one database each hear every commit; each start is made once."""
    timing = StartTiming(poll_seconds=0.2, max_in_flight=4)
    (one, first), (other, second) = _counted(temporal_client), _counted(temporal_client)
    headers = await register_client(pool, "agency-a")
    async with (
        serve(create_app(settings, temporal=one, timing=timing)) as url_one,
        serve(create_app(settings, temporal=other, timing=timing)) as url_other,
        httpx.AsyncClient(base_url=url_one, timeout=30) as http_one,
        httpx.AsyncClient(base_url=url_other, timeout=30) as http_other,
    ):
        https = [http_one, http_other]
        references = await asyncio.gather(*(_submit(https[n % 2], headers, n) for n in range(30)))

        async def statuses() -> list[Any]:
            return [await _status(https[0], headers, ref) for ref in references]

        await assert_eventually(statuses, lambda found: found == [STARTED] * 30, within=60)
    calls = Counter(first.ids + second.ids)
    assert calls == Counter(workflow_id_for(ref) for ref in references)
    assert first.ids and second.ids  # both took part


class FirstStartLate(Interceptor):
    """Holds its client's first start_workflow call for `seconds` before making it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Hold this client's first call."""
        return _FirstLate(next, self.seconds)


class _FirstLate(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, seconds: float) -> None:
        super().__init__(next)
        self._seconds: float | None = seconds

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        seconds, self._seconds = self._seconds, None
        if seconds:
            await asyncio.sleep(seconds)
        return await super().start_workflow(input)


async def test_a_slow_start_holds_up_no_other(
    settings: Settings, pool: Pool, temporal_client: Client
) -> None:
    """The first referral's start takes 2 s: the second, accepted after it, starts first."""
    late = Client(
        temporal_client.service_client,
        namespace=temporal_client.namespace,
        data_converter=temporal_client.data_converter,
        interceptors=[FirstStartLate(2.0)],
    )
    app = create_app(settings, temporal=late, timing=StartTiming(poll_seconds=0.2))
    headers = await register_client(pool, "agency-a")
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        slow, quick = [await _submit(http, headers, n) for n in range(2)]
        for reference in (slow, quick):
            status = functools.partial(_status, http, headers, reference)
            await assert_eventually(status, STARTED.__eq__)
    async with pool.acquire() as conn:
        started = await conn.fetch(
            "SELECT reference FROM intake.referrals ORDER BY workflow_started_at"
        )
    assert [row["reference"] for row in started] == [quick, slow]
