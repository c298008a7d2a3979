"""The read model follows the workflow, catches up after a restart, and survives replays."""

from __future__ import annotations

from typing import Any

from safeguard.codes import Stage
from safeguard.events.topics import REFERRAL_EVENTS
from tests.assessment.conftest import Assessment, serve_assessment
from tests.assessment.offsets import lag
from tests.assessment.test_case_view import ASSESSMENT
from tests.helpers import assert_eventually

SNAPSHOT = (
    "SELECT id, referral_id, kind, status, stage, area, assignee, due_at, reminded_at,"
    " escalated_at FROM assessment.tasks ORDER BY id"
)


async def _snapshot(system: Assessment) -> tuple[list[Any], list[Any], int]:
    async with system.pool.acquire() as conn:
        tasks = [tuple(row.values()) for row in await conn.fetch(SNAPSHOT)]
        cases = [
            tuple(row.values())
            for row in await conn.fetch(
                "SELECT referral_id, stage, area, outcome, closure_reason, last_event_at"
                " FROM assessment.cases ORDER BY referral_id"
            )
        ]
        events = await conn.fetchval("SELECT count(*) FROM assessment.case_events")
    return tasks, cases, events


async def _assert_no_task_twice(system: Assessment) -> None:
    async with system.pool.acquire() as conn:
        twice = await conn.fetch(
            "SELECT referral_id, kind, due_at, count(*) FROM assessment.tasks"
            " GROUP BY referral_id, kind, due_at HAVING count(*) > 1"
        )
    assert twice == []


async def _caught_up(system: Assessment) -> None:
    group = system.settings.consumer_group("assessment")
    topic = system.settings.topic(REFERRAL_EVENTS)

    async def remaining() -> int:
        return await lag(system.settings, group=group, topic=topic)

    await assert_eventually(remaining, lambda left: left == 0)


async def test_overdue_assessment_is_reminded_then_escalated(system: Assessment) -> None:
    reference = await system.submit()
    await system.advance(reference, 9)

    async def task() -> dict[str, Any]:
        return (await system.tasks_of(reference))[0]

    escalated = await assert_eventually(task, lambda row: row["escalated_at"] is not None)
    assert escalated["reminded_at"] is not None
    assert escalated["reminded_at"] < escalated["escalated_at"]
    assert len(await system.tasks_of(reference)) == 1
    inbox = await system.http.get(
        f"{system.url}/v1/tasks", params={"overdue": "true"}, headers=system.staff.officer()
    )
    assert [t["reference"] for t in inbox.json()["items"]] == [reference]


async def test_projection_catches_up_after_a_restart(pipeline: Assessment) -> None:
    async with serve_assessment(pipeline.settings, pipeline.temporal) as url:
        pipeline.url = url
        first = await pipeline.submit()
    # The service is down while referrals arrive and a case falls overdue.
    second = await pipeline.submit(wait=False)
    await pipeline.advance(first, 9)
    async with pipeline.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM assessment.tasks") == 1

    async with serve_assessment(pipeline.settings, pipeline.temporal) as url:
        pipeline.url = url
        await pipeline.wait_for_tasks(second, 1)

        async def escalated() -> Any:
            return (await pipeline.tasks_of(first))[0]["escalated_at"]

        await assert_eventually(escalated)
        await _caught_up(pipeline)
    await _assert_no_task_twice(pipeline)
    assert len(await pipeline.tasks_of(first)) == len(await pipeline.tasks_of(second)) == 1


async def test_replaying_the_topic_changes_nothing(pipeline: Assessment) -> None:
    settings = pipeline.settings
    officer = pipeline.staff.officer()
    async with serve_assessment(settings, pipeline.temporal) as url:
        pipeline.url = url
        police_led = await pipeline.submit()
        waiting = await pipeline.submit()
        await pipeline.http.post(
            f"{url}/v1/cases/{police_led}/gateway-assessment", json=ASSESSMENT, headers=officer
        )
        await pipeline.advance(police_led, 91)
        await pipeline.wait_for_tasks(police_led, 2)
        task_id = (await pipeline.tasks_of(waiting))[0]["id"]
        claimed = await pipeline.http.post(f"{url}/v1/tasks/{task_id}/claim", headers=officer)
        assert claimed.status_code == 200
        await pipeline.wait_for_stage(police_led, Stage.POLICE_LED)
        await _caught_up(pipeline)
    before = await _snapshot(pipeline)
    assert len(before[0]) == 3 and before[2] >= 4

    # A new consumer group reads the topic from the start; the ledger makes each a no-op.
    regrouped = settings.model_copy(
        update={"kafka_consumer_group_prefix": f"{settings.kafka_consumer_group_prefix}-again"}
    )
    pipeline.settings = regrouped
    async with serve_assessment(regrouped, pipeline.temporal, consume=True):
        await _caught_up(pipeline)
    assert await _snapshot(pipeline) == before

    # A rebuild: forget every handled event, so each one is projected a second time.
    async with pipeline.pool.acquire() as conn:
        await conn.execute("DELETE FROM messaging.processed_events WHERE consumer = 'assessment'")
    rebuilt = regrouped.model_copy(
        update={"kafka_consumer_group_prefix": f"{settings.kafka_consumer_group_prefix}-rebuild"}
    )
    pipeline.settings = rebuilt
    async with serve_assessment(rebuilt, pipeline.temporal, consume=True):
        await _caught_up(pipeline)
        async with pipeline.pool.acquire() as conn:
            handled = await conn.fetchval(
                "SELECT count(*) FROM messaging.processed_events WHERE consumer = 'assessment'"
            )
    assert handled == before[2]  # every event went through the projection again
    assert await _snapshot(pipeline) == before  # and changed nothing: claims kept, none twice
    await _assert_no_task_twice(pipeline)
