"""Deciding a case whose task another officer holds needs a recorded take-over first."""

from __future__ import annotations

from tests.assessment.conftest import Assessment
from tests.assessment.test_case_view import ASSESSMENT


async def test_a_held_task_is_taken_over_before_its_case_is_decided(system: Assessment) -> None:
    reference = await system.submit()
    holder, other = system.staff.officer("officer-17"), system.staff.officer("officer-18")
    task = (await system.wait_for_tasks(reference, 1))[0]
    claimed = await system.http.post(f"{system.url}/v1/tasks/{task['id']}/claim", headers=holder)
    assert claimed.status_code == 200, claimed.text

    decide = f"{system.url}/v1/cases/{reference}/gateway-assessment"
    refused = await system.http.post(decide, json=ASSESSMENT, headers=other)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["title"] == "Task held by another officer"
    assert problem["assignee"] == "officer-17" and problem["task_id"] == str(task["id"])

    take_over = await system.http.post(
        f"{system.url}/v1/tasks/{task['id']}/assign",
        json={"assignee": "officer-18"},
        headers=other | {"If-Match": f'"{problem["version"]}"'},
    )
    assert take_over.status_code == 200, take_over.text
    decided = await system.http.post(decide, json=ASSESSMENT, headers=other)
    assert decided.status_code == 200, decided.text
    async with system.pool.acquire() as conn:
        history = await conn.fetch(
            "SELECT action, actor, previous FROM assessment.task_history WHERE task_id = $1"
            " ORDER BY id",
            task["id"],
        )
    assert [tuple(h.values()) for h in history] == [
        ("claim", "officer-17", None),
        ("take_over", "officer-18", "officer-17"),
    ]
