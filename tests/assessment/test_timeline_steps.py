"""Who held a case's task shows in the auditor's timeline, beside the decisions, in time order.

A task's holder is the assessment service's own record, never workflow state: the claim and
the take-over reach the timeline through the audit log, written with the change itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from safeguard.codes import Role
from tests.assessment.conftest import Assessment
from tests.assessment.test_case_view import ASSESSMENT
from tests.audit.steps import (
    actions_in_order,
    assert_in_time_order,
    audit_service,
    only,
    timeline_with,
)
from tests.helpers import assert_eventually

CLAIMED, TAKEN_OVER = "assessment.task_claimed", "assessment.task_taken_over"
DECIDED = "record_gateway_assessment"


@pytest.fixture
async def audit_url(system: Assessment) -> AsyncIterator[str]:
    """The audit service beside assessment, on the same database and Temporal."""
    async with audit_service(system.settings, system.temporal) as url:
        yield url


def _auditor(system: Assessment) -> dict[str, str]:
    return system.staff.headers(Role.AUDITOR, "auditor-1", areas=())


async def _claimed_taken_over_and_decided(system: Assessment, decision: dict[str, str]) -> str:
    """officer-17 claims the case's task, officer-18 takes it over and decides the case."""
    reference = await system.submit()
    task = (await system.wait_for_tasks(reference, 1))[0]
    holder, other = system.staff.officer("officer-17"), system.staff.officer("officer-18")
    tasks = f"{system.url}/v1/tasks/{task['id']}"
    claimed = await system.http.post(f"{tasks}/claim", headers=holder)
    assert claimed.status_code == 200, claimed.text
    assert (await system.http.get(f"{system.url}/v1/tasks", headers=other)).status_code == 200
    taken = await system.http.post(
        f"{tasks}/assign",
        json={"assignee": "officer-18"},
        headers=other | {"If-Match": claimed.headers["etag"]},
    )
    assert taken.status_code == 200, taken.text
    decided = await system.http.post(
        f"{system.url}/v1/cases/{reference}/gateway-assessment", json=decision, headers=other
    )
    assert decided.status_code == 200, decided.text
    return reference


async def test_the_task_claim_and_take_over_are_in_the_timeline(
    system: Assessment, audit_url: str
) -> None:
    reference = await _claimed_taken_over_and_decided(system, ASSESSMENT)
    entries = await timeline_with(
        system.http, audit_url, reference, _auditor(system), CLAIMED, TAKEN_OVER, DECIDED
    )

    claim, take_over = only(entries, CLAIMED), only(entries, TAKEN_OVER)
    assert (claim["actor_id"], claim["actor_role"], claim["source"]) == (
        "officer-17",
        "prevent_officer",
        "audit_log",
    )
    assert claim["detail"]["assignee"] == "officer-17" and claim["detail"]["previous"] is None
    assert (take_over["actor_id"], take_over["source"]) == ("officer-18", "audit_log")
    assert (take_over["detail"]["assignee"], take_over["detail"]["previous"]) == (
        "officer-18",
        "officer-17",
    )
    decision = only(entries, DECIDED)
    assert (decision["actor_id"], decision["source"]) == ("officer-18", "history")
    # Both sources, one order: received, claimed, taken over, decided.
    assert entries[0]["kind"] == "opened" and entries[0]["source"] == "history"
    assert actions_in_order(entries, CLAIMED, TAKEN_OVER, DECIDED) == [
        CLAIMED,
        TAKEN_OVER,
        DECIDED,
    ]
    assert_in_time_order(entries)
    # The workflow's own log entries are its history's events, told there with their actor.
    assert all(e["actor_id"] != "case-workflow" for e in entries)


async def test_an_erased_case_keeps_its_logged_steps(system: Assessment, audit_url: str) -> None:
    no_further_action = ASSESSMENT | {"outcome": "NO_FURTHER_ACTION"}
    reference = await _claimed_taken_over_and_decided(system, no_further_action)
    await timeline_with(system.http, audit_url, reference, _auditor(system), CLAIMED, DECIDED)

    # No further action: kept for three years, then redacted and its history erased.
    await system.advance(reference, 3 * 366 + 2)

    async def erased() -> bool:
        async with system.pool.acquire() as conn:
            kept = await conn.fetchval(
                "SELECT erased_timeline FROM audit.cases WHERE reference = $1", reference
            )
        return kept is not None

    await assert_eventually(erased, within=90, interval=1)
    answer = await system.http.get(
        f"{audit_url}/v1/cases/{reference}/timeline", headers=_auditor(system)
    )
    assert answer.status_code == 200 and answer.headers["x-history-source"] == "erased"
    entries = answer.json()
    assert only(entries, CLAIMED)["actor_id"] == "officer-17"
    assert only(entries, TAKEN_OVER)["source"] == "audit_log"
    assert only(entries, DECIDED)["source"] == "history"
    assert_in_time_order(entries)
