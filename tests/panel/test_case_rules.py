"""Rules at the panel: a decision comes from a meeting held; a closed case is read only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from safeguard.codes import GatewayOutcome, Role
from tests.panel.conftest import GATEWAY, Pipeline
from tests.panel.driver import CHAIR, MEMBERS, all_factors
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

NOT_ADOPTED = {
    "adopted": False,
    "basis": "unanimous",
    "votes_for": 0,
    "votes_against": 4,
    "reasons": "Needs are better met by children's social care.",
    "health_or_social_care_considered": True,
}
ATTENDANCE = {
    "attendees": [{"id": CHAIR, "agency": "local_authority"}]
    + [{"id": s, "agency": agency} for s, agency in MEMBERS.items()],
    "conflicts": [],
}


async def _in_panel(system: Pipeline) -> str:
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    await d.give_consent(reference, headers=system.staff.guardian(reference))
    await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
    return reference


async def test_a_decision_waits_for_the_meeting_to_take_place(system: Pipeline) -> None:
    d = system.driver
    reference = await _in_panel(system)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    meeting = await d.ok(
        "POST",
        f"/v1/panels/{await d.panel()}/meetings",
        json={"scheduled_for": soon.isoformat(), "agenda": [reference]},
    )
    await d.ok("PUT", f"/v1/meetings/{meeting['id']}/attendance", json=ATTENDANCE)
    decision = NOT_ADOPTED | {"meeting_id": meeting["id"]}

    early = await d.call("POST", f"/v1/cases/{reference}/decision", json=decision)
    assert early.status_code == 422, early.text
    assert early.headers["content-type"] == "application/problem+json"
    assert early.json()["title"] == "Meeting not yet held"
    assert (await d.case(reference) or {})["case"]["stage"] == "PANEL_CONSIDERATION"

    # The meeting has taken place: its decision is accepted.
    async with system.pool.acquire() as conn:
        await conn.execute(
            "UPDATE panel.meetings SET scheduled_for = now() - interval '1 hour' WHERE id = $1",
            meeting["id"],
        )
    decided = await d.ok("POST", f"/v1/cases/{reference}/decision", json=decision)
    assert decided["stage"] == "CLOSED"


async def _closed(system: Pipeline) -> tuple[str, str]:
    """A case closed with no further action, and an information request asked while open."""
    d = system.driver
    reference = await system.submit()
    await d.wait_for_stage(reference, "GATEWAY_ASSESSMENT")
    asked = await d.ok(
        "POST",
        f"/v1/cases/{reference}/information-requests",
        json={"agency": "education", "question": "Attendance this term?"},
    )
    await system.temporal.get_workflow_handle(workflow_id_for(reference)).execute_update(
        ReferralWorkflow.record_gateway_assessment,
        a.GatewayAssessmentInput(
            actor=a.Actor(id="officer-17", role=Role.PREVENT_OFFICER),
            outcome=GatewayOutcome.NO_FURTHER_ACTION,
            **GATEWAY,
        ),
    )
    await d.wait_for_stage(reference, "CLOSED")
    return reference, asked["id"]


def _refused_as_closed(answer: httpx.Response) -> None:
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json()
    assert (problem["title"], problem["stage"]) == ("The case has moved on", "CLOSED")


async def test_a_closed_case_is_read_but_not_worked_on(system: Pipeline) -> None:
    d = system.driver
    reference, request_id = await _closed(system)
    case = f"/v1/cases/{reference}"
    writes: list[tuple[str, dict[str, Any]]] = [
        (f"{case}/information-requests", {"agency": "health", "question": "Any contact?"}),
        (f"{case}/vulnerability-assessments", {"factors": all_factors()}),
        (f"/v1/information-requests/{request_id}/reply", {"reply": "Attended every day."}),
        (
            f"/v1/panels/{await d.panel()}/meetings",
            {"scheduled_for": "2027-01-04T10:00:00Z", "agenda": [reference]},
        ),
        (f"{case}/information", {"summary": "A teacher reports new concerns."}),
        (f"{case}/transfer", {"to_area": "E09000033", "reason": "The family moved."}),
    ]
    for path, body in writes:
        _refused_as_closed(await d.call("POST", path, json=body))
    meeting = await d.ok(
        "POST",
        f"/v1/panels/{await d.panel()}/meetings",
        json={"scheduled_for": "2027-01-04T10:00:00Z"},
    )
    agenda = {"reference": reference}
    _refused_as_closed(await d.call("POST", f"/v1/meetings/{meeting['id']}/agenda", json=agenda))

    # Reading and auditing stay open.
    view = await d.ok("GET", case)
    assert [r["agency"] for r in view["information_requests"]] == ["education"]
    assert view["information_requests"][0]["reply"] is None
    assert (await d.call("GET", case, headers=system.staff.auditor())).status_code == 200
