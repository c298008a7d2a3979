"""The panel's case view reads the case's status from its read model: it answers while
Temporal is down, naming only the decisions (asked of the workflow) as missing."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.service import RetryConfig

from tests.helpers import assert_eventually
from tests.panel.conftest import Pipeline, serve_panel
from tests.proxy import proxy_to


async def _current(system: Pipeline, reference: str) -> dict[str, Any]:
    """The read model's row once it holds the newest event recorded for the case."""

    async def probe() -> list[dict[str, Any]]:
        return await system.rows(
            "SELECT c.stage, c.standing_sequence, s.sequence FROM panel.cases c"
            " LEFT JOIN messaging.case_sequences s USING (referral_id) WHERE c.reference = $1",
            reference,
        )

    rows = await assert_eventually(
        probe, lambda rows: bool(rows) and rows[0]["standing_sequence"] == rows[0]["sequence"]
    )
    return rows[0]


async def test_the_case_view_shows_the_status_while_temporal_is_down(
    system: Pipeline, temporal_client: Client
) -> None:
    reference = await system.refer()
    row = await _current(system, reference)
    target = temporal_client.service_client.config.target_host
    async with proxy_to(target) as proxy:
        through_proxy = await Client.connect(
            proxy.address,
            data_converter=temporal_client.data_converter,
            retry_config=RetryConfig(max_retries=1, initial_interval_millis=50),
        )
        async with serve_panel(system.settings, through_proxy, consume=False) as url:
            await proxy.cut()
            view = await system.http.get(
                f"{url}/v1/cases/{reference}", headers=system.staff.chair()
            )
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["status"]["stage"] == row["stage"] and body["status"]["reference"] == reference
    assert body["status"]["allowed_actions"] and body["status"]["decisions"] == 1
    # The gateway's decision carries free text: only the workflow has it, and it is out.
    assert body["decisions"] is None
    assert body["gaps"] == {"decisions": "Case engine unavailable"}
