"""The case view's status from the read model: served while Temporal is down, asked of the
workflow when the read model is behind the case or the caller asks (`fresh`); decisions' free
text never leaves in events."""

from __future__ import annotations

import json
from typing import Any

from temporalio.client import Client
from temporalio.service import RetryConfig

from tests.assessment.conftest import Assessment, serve_assessment
from tests.assessment.test_case_view import ASSESSMENT
from tests.helpers import assert_eventually
from tests.proxy import proxy_to

MARKER = "read_model_marker"


async def _sequences(system: Assessment, reference: str) -> tuple[Any, Any]:
    async with system.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT c.standing_sequence, s.sequence FROM assessment.cases c"
            " LEFT JOIN messaging.case_sequences s USING (referral_id) WHERE c.reference = $1",
            reference,
        )
    assert row is not None
    return row[0], row[1]


async def current(system: Assessment, reference: str) -> int:
    """Wait until the read model has applied the newest event recorded for the case."""

    async def probe() -> tuple[Any, Any]:
        return await _sequences(system, reference)

    applied, _ = await assert_eventually(
        probe, lambda pair: pair[0] is not None and pair[0] == pair[1]
    )
    return int(applied)


async def _mark_projection(system: Assessment, reference: str) -> None:
    """Give the projected standing an action no workflow offers, to see where a view read."""
    async with system.pool.acquire() as conn:
        await conn.execute(
            "UPDATE assessment.cases SET standing = jsonb_set(standing, '{allowed_actions}', $2)"
            " WHERE reference = $1",
            reference,
            [MARKER],
        )


async def test_temporal_unreachable_the_view_shows_the_projected_status(
    system: Assessment, temporal_client: Client
) -> None:
    reference = await system.submit()
    await current(system, reference)
    officer = system.staff.officer()
    target = temporal_client.service_client.config.target_host
    async with proxy_to(target) as proxy:
        through_proxy = await Client.connect(
            proxy.address,
            data_converter=temporal_client.data_converter,
            retry_config=RetryConfig(max_retries=1, initial_interval_millis=50),
        )
        async with serve_assessment(system.settings, through_proxy, consume=False) as url:
            await proxy.cut()
            view = await system.http.get(f"{url}/v1/cases/{reference}", headers=officer)
            fresh = await system.http.get(
                f"{url}/v1/cases/{reference}", params={"fresh": "true"}, headers=officer
            )
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["gaps"] == {}
    status = body["status"]
    assert status["stage"] == "GATEWAY_ASSESSMENT" and status["reference"] == reference
    assert "record_gateway_assessment" in status["allowed_actions"]
    assert set(status["due"]) == {"assessment_reminder", "assessment_overdue"}
    assert status["decisions"] == 0 and body["decisions"] == []
    # Asked to ask the workflow, the view says it could not and that the status may be old.
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["status"] == status
    assert fresh.json()["gaps"]["status"].startswith("Case engine unavailable: the status")
    assert fresh.json()["decisions"] is None


async def test_a_read_model_behind_the_case_or_fresh_asks_the_workflow(
    system: Assessment,
) -> None:
    reference = await system.submit()
    applied = await current(system, reference)
    await _mark_projection(system, reference)
    officer = system.staff.officer()
    url = f"{system.url}/v1/cases/{reference}"

    async def actions(**params: str) -> list[str]:
        answer = await system.http.get(url, params=params, headers=officer)
        assert answer.status_code == 200, answer.text
        assert answer.json()["gaps"] == {}
        found: list[str] = answer.json()["status"]["allowed_actions"]
        return found

    assert await actions() == [MARKER]  # current: the read model answers
    assert MARKER not in await actions(fresh="true")
    async with system.pool.acquire() as conn:
        await conn.execute(
            "UPDATE messaging.case_sequences SET sequence = $2"
            " WHERE referral_id = (SELECT referral_id FROM assessment.cases WHERE reference = $1)",
            reference,
            applied + 1,
        )
    behind = await actions()
    assert MARKER not in behind and "record_gateway_assessment" in behind


async def test_decisions_free_text_never_travels_in_events(system: Assessment) -> None:
    reference = await system.submit()
    officer = system.staff.officer()
    recorded = await system.http.post(
        f"{system.url}/v1/cases/{reference}/gateway-assessment", json=ASSESSMENT, headers=officer
    )
    assert recorded.status_code == 200, recorded.text
    await system.wait_for_tasks(reference, 1, status="done")
    applied = await current(system, reference)
    async with system.pool.acquire() as conn:
        referral_id = await conn.fetchval(
            "SELECT referral_id FROM assessment.cases WHERE reference = $1", reference
        )
        outbox = await conn.fetch(
            "SELECT payload FROM messaging.outbox WHERE key = $1 ORDER BY id", str(referral_id)
        )
        consumed = await conn.fetch(
            "SELECT data FROM assessment.case_events WHERE referral_id = $1", referral_id
        )
    payloads = [json.dumps(row["payload"]) for row in outbox]
    payloads += [json.dumps(row["data"]) for row in consumed]
    for text in (ASSESSMENT["reasons"], ASSESSMENT["database_checks"], "officer-17"):
        assert not any(text in payload for payload in payloads), text
    events = [row["payload"]["data"] for row in outbox]
    assert [e["sequence"] for e in events] == list(range(1, applied + 1))
    assert events[-1]["standing"]["stage"] == "POLICE_LED"
    assert events[-1]["standing"]["decisions"] == 1
    # The decision's content is still shown: the workflow is asked for it.
    url = f"{system.url}/v1/cases/{reference}"
    view = (await system.http.get(url, headers=officer)).json()
    assert view["status"]["stage"] == "POLICE_LED" and view["gaps"] == {}
    assert view["decisions"][0]["detail"]["reasons"] == ASSESSMENT["reasons"]
    # The projected status is the workflow's own answer.
    fresh = (await system.http.get(url, params={"fresh": "true"}, headers=officer)).json()
    assert fresh["status"] == view["status"]
