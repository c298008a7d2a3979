"""The read model follows the workflow, catches up after a restart, and survives replays."""

from __future__ import annotations

from typing import Any

from safeguard.codes import Role
from safeguard.events.topics import REFERRAL_EVENTS
from tests.assessment.offsets import lag
from tests.helpers import assert_eventually
from tests.panel.conftest import Pipeline, serve_panel
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

CASES = (
    "SELECT referral_id, reference, area, stage, consent_route, adopted, plan_revision, due_kind,"
    " due_at, due_months, escalated_at, exited_at, review_6_months_at, review_12_months_at,"
    " closure_reason, last_event_at FROM panel.cases ORDER BY reference"
)
ITEMS = (
    "SELECT item_id, referral_id, revision, position, provider_id FROM panel.plan_items"
    " ORDER BY item_id"
)


async def _snapshot(system: Pipeline) -> tuple[list[Any], list[Any], int, int]:
    cases = [tuple(r.values()) for r in await system.rows(CASES)]
    items = [tuple(r.values()) for r in await system.rows(ITEMS)]
    events = (await system.rows("SELECT count(*) AS n FROM panel.case_events"))[0]["n"]
    actions = (await system.rows("SELECT count(*) AS n FROM panel.case_actions"))[0]["n"]
    return cases, items, events, actions


async def _caught_up(system: Pipeline) -> None:
    group = system.settings.consumer_group("panel")
    topic = system.settings.topic(REFERRAL_EVENTS)

    async def remaining() -> int:
        return await lag(system.settings, group=group, topic=topic)

    await assert_eventually(remaining, lambda left: left == 0)


async def _case(system: Pipeline, reference: str) -> dict[str, Any]:
    rows = await system.rows("SELECT * FROM panel.cases WHERE reference = $1", reference)
    return rows[0] if rows else {}


async def test_projection_catches_up_after_a_restart(pipeline: Pipeline) -> None:
    d = pipeline.driver
    async with serve_panel(pipeline.settings, pipeline.temporal) as url:
        d.url = url
        waiting = await pipeline.refer()
        await d.wait_for_stage(waiting, "CONSENT_PENDING")
        await d.request_consent(waiting)
    # The panel is down: a new case arrives and the consent request expires unanswered.
    newcomer = await pipeline.refer()
    await pipeline.advance(waiting, 29)
    handle = pipeline.temporal.get_workflow_handle(workflow_id_for(waiting))
    await assert_eventually(
        lambda: handle.query(ReferralWorkflow.status),
        lambda status: status.stage == "CONSENT_REFUSED",
    )
    assert (await _case(pipeline, waiting))["stage"] == "CONSENT_PENDING"

    async with serve_panel(pipeline.settings, pipeline.temporal) as url:
        d.url = url
        await _caught_up(pipeline)
        queue = await d.ok("GET", "/v1/queue")
    by_reference = {item["reference"]: item for item in queue["items"]}
    assert set(by_reference) == {waiting, newcomer}
    assert by_reference[waiting]["kind"] == "consent_reassessment"
    assert by_reference[waiting]["due_kind"] == "consent_reassessment"
    assert by_reference[newcomer]["kind"] == "consent"
    assert len(queue["items"]) == 2


async def test_replaying_the_topic_changes_nothing(pipeline: Pipeline) -> None:
    settings = pipeline.settings
    d = pipeline.driver
    async with serve_panel(settings, pipeline.temporal) as url:
        d.url = url
        supported = await pipeline.refer()
        await d.wait_for_stage(supported, "CONSENT_PENDING")
        await d.request_consent(supported)
        await d.give_consent(supported)
        await d.wait_for_stage(supported, "PANEL_CONSIDERATION")
        meeting = await d.meeting(supported)
        await d.adopt(supported, meeting, "mentor-a", "mentor-b")
        await pipeline.advance(supported, 31)
        view = await d.wait_for_stage(supported, "SUPPORT_ACTIVE")
        other = await pipeline.refer()
        handle = pipeline.temporal.get_workflow_handle(workflow_id_for(other))
        await handle.execute_update(
            ReferralWorkflow.transfer_case,
            a.TransferInput(
                actor=a.Actor(id="officer-17", role=Role.PREVENT_OFFICER),
                to_area="E09000033",
                reason="Moved house.",
            ),
        )
        receiver = a.Actor(id="chair-8", role=Role.CHANNEL_CHAIR, areas=("E09000033",))
        await handle.execute_update(
            ReferralWorkflow.accept_transfer, a.AcceptTransferInput(actor=receiver)
        )

        async def reviewed() -> dict[str, Any]:
            return await _case(pipeline, supported)

        await assert_eventually(reviewed, lambda row: row.get("due_kind") == "support_review")
        await _caught_up(pipeline)
    before = await _snapshot(pipeline)
    assert len(before[0]) == 2 and len(before[1]) == 2 and view["status"]["plan_revision"] == 1
    assert {row[2] for row in before[0]} == {"E08000003", "E09000033"}

    # A new consumer group reads the topic from the start; the ledger makes each a no-op.
    regrouped = settings.model_copy(
        update={"kafka_consumer_group_prefix": f"{settings.kafka_consumer_group_prefix}-again"}
    )
    pipeline.settings = regrouped
    async with serve_panel(regrouped, pipeline.temporal):
        await _caught_up(pipeline)
    assert await _snapshot(pipeline) == before

    # A rebuild: forget every handled event, so each one is projected a second time. (Notices
    # such as panel.meeting_scheduled are handled but kept in no case's events, so the count to
    # match is the ledger's, not the case events'.)
    ledger = "SELECT count(*) AS n FROM messaging.processed_events WHERE consumer = 'panel'"
    first = (await pipeline.rows(ledger))[0]["n"]
    assert first >= before[2]
    async with pipeline.pool.acquire() as conn:
        await conn.execute("DELETE FROM messaging.processed_events WHERE consumer = 'panel'")
    rebuilt = regrouped.model_copy(
        update={"kafka_consumer_group_prefix": f"{settings.kafka_consumer_group_prefix}-rebuild"}
    )
    pipeline.settings = rebuilt
    async with serve_panel(rebuilt, pipeline.temporal):
        await _caught_up(pipeline)
    handled = await pipeline.rows(ledger)
    assert handled[0]["n"] == first  # every event went through the projection again
    assert await _snapshot(pipeline) == before  # and changed nothing
    twice = await pipeline.rows(
        "SELECT referral_id, revision, position FROM panel.plan_items"
        " GROUP BY 1, 2, 3 HAVING count(*) > 1"
    )
    assert twice == []
