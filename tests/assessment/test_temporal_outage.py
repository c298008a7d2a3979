"""The assessment service while Temporal is out of reach: 503s with Retry-After (readiness
too), one warning, and the same process acting on cases again once Temporal is back."""

from __future__ import annotations

import logging

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RetryConfig

from services.assessment.app import create_app
from tests.assessment.conftest import Assessment, serve_assessment
from tests.helpers import assert_eventually
from tests.outage_checks import assert_one_outage_logged, assert_unavailable, uvicorn_logs
from tests.proxy import proxy_to
from tests.servers import serve

ASSESSMENT = {
    "outcome": "POLICE_LED",
    "reasons": "Concerning online activity; police-led management is proportionate.",
    "deconfliction": "no_live_interest",
    "database_checks": "PNC: nothing recorded.",
}


async def test_a_temporal_outage_answers_503_and_heals_without_a_restart(
    system: Assessment, temporal_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    reference = await system.submit()
    officer = system.staff.officer()
    decide = f"/v1/cases/{reference}/gateway-assessment"
    async with proxy_to(temporal_client.service_client.config.target_host) as proxy:
        # Few retries inside the client, so each request gives up on Temporal quickly.
        through_proxy = await Client.connect(
            proxy.address,
            data_converter=temporal_client.data_converter,
            retry_config=RetryConfig(max_retries=1, initial_interval_millis=50),
        )
        async with (
            serve_assessment(system.settings, through_proxy, consume=False) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as http,
        ):
            assert (await http.get("/health/ready")).status_code == 200
            with uvicorn_logs(caplog):
                caplog.clear()
                await proxy.cut()
                for _ in range(4):
                    answer = await http.post(decide, json=ASSESSMENT, headers=officer)
                    assert_unavailable(answer, "case engine")
                    assert_unavailable(await http.get("/health/ready"), "case engine")
                await proxy.resume()
                await assert_eventually(
                    lambda: http.get("/health/ready"), lambda answer: answer.status_code == 200
                )
                decided = await http.post(decide, json=ASSESSMENT, headers=officer)
                assert decided.status_code == 200, decided.text
                assert decided.json()["stage"] == "POLICE_LED"
                records = list(caplog.records)
    assert_one_outage_logged(records)


async def test_the_service_starts_while_temporal_is_down_and_connects_once_it_answers(
    system: Assessment, temporal_client: Client
) -> None:
    """A service restarted during an outage must come up (a 503 until Temporal answers), or its
    supervisor would give up on it after a few tries."""
    reference = await system.submit()
    officer = system.staff.officer()
    async with proxy_to(temporal_client.service_client.config.target_host) as proxy:
        await proxy.cut()
        settings = system.settings.model_copy(update={"temporal_address": proxy.address})
        async with (
            serve(create_app(settings, consume=False)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as http,
        ):
            assert (await http.get("/health/live")).status_code == 200
            assert_unavailable(await http.get("/health/ready"), "case engine")
            await proxy.resume()
            await assert_eventually(
                lambda: http.get("/health/ready"), lambda answer: answer.status_code == 200
            )
            decide = f"/v1/cases/{reference}/gateway-assessment"
            decided = await http.post(decide, json=ASSESSMENT, headers=officer)
            assert decided.status_code == 200, decided.text


async def test_a_temporal_slower_than_the_readiness_check_is_unready_not_an_error(
    system: Assessment, temporal_client: Client
) -> None:
    """Seen in the suite under load: the health check outran its timeout, the client answered
    CANCELLED, and readiness said 500 (an error of ours) where Temporal was too slow (503)."""
    target = temporal_client.service_client.config.target_host
    async with proxy_to(target, delay=4.0) as proxy:
        slow = await Client.connect(proxy.address, data_converter=temporal_client.data_converter)
        async with (
            serve_assessment(system.settings, slow, consume=False) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as http,
        ):
            assert_unavailable(await http.get("/health/ready"), "case engine")
