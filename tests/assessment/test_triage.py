"""Triage: referrals whose area is not known wait for any officer to place them in an area."""

from __future__ import annotations

from typing import Any

from safeguard.codes import UNASSIGNED_AREA, Role
from tests.assessment.conftest import AREA, OTHER_AREA, Assessment
from tests.helpers import assert_eventually
from tests.intake.clients import register_client
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

PROBLEM = "application/problem+json"


async def _unplaced(system: Assessment) -> str:
    """A referral from a helpline with no area of its own, whose form gives none either."""
    helpline = await register_client(system.pool, "community-helpline", area=None)
    return await system.submit(area=None, partner=helpline)


async def _listed(system: Assessment, path: str, headers: dict[str, str]) -> list[str]:
    answer = await system.http.get(f"{system.url}{path}", headers=headers)
    assert answer.status_code == 200, answer.text
    return [task["reference"] for task in answer.json()["items"]]


async def _place(system: Assessment, reference: str, area: str, headers: dict[str, str]) -> Any:
    return await system.http.post(
        f"{system.url}/v1/cases/{reference}/area", json={"area": area}, headers=headers
    )


async def _workflow_area(system: Assessment, reference: str) -> tuple[str, int]:
    handle = system.temporal.get_workflow_handle(workflow_id_for(reference))
    status = await handle.query(ReferralWorkflow.status)
    return status.area, status.decisions


async def test_an_unplaced_referral_is_in_triage_for_every_officer_and_in_no_inbox(
    system: Assessment,
) -> None:
    placed = await system.submit()
    reference = await _unplaced(system)
    [task] = await system.tasks_of(reference)
    assert task["area"] == UNASSIGNED_AREA
    ours, theirs = system.staff.officer(), system.staff.officer("officer-40", areas=(OTHER_AREA,))
    auditor = system.staff.headers(Role.AUDITOR, "auditor-2", areas=())
    before = len(await system.access_log())

    for headers in (ours, theirs, auditor):
        assert await _listed(system, "/v1/triage", headers) == [reference]
    assert await _listed(system, "/v1/tasks", ours) == [placed]
    assert await _listed(system, "/v1/tasks", theirs) == []
    no_areas = system.staff.officer("officer-0", areas=())
    assert await _listed(system, "/v1/triage", no_areas) == []

    rows = (await system.access_log())[before:]
    assert [(r["subject"], r["referral_id"]) for r in rows[:3]] == [
        ("officer-17", None),
        ("officer-40", None),
        ("auditor-2", None),
    ]
    assert "task.area" in rows[0]["fields"] and rows[0]["purpose"] == "gateway assessment"
    no_purpose = {"Authorization": ours["Authorization"]}
    missing = await system.http.get(f"{system.url}/v1/triage", headers=no_purpose)
    assert (missing.status_code, missing.headers["content-type"]) == (400, PROBLEM)


async def test_an_officer_of_any_area_may_open_a_triage_case_and_its_task(
    system: Assessment,
) -> None:
    reference = await _unplaced(system)
    [task] = await system.tasks_of(reference)
    theirs = system.staff.officer("officer-40", areas=(OTHER_AREA,))
    before = len(await system.access_log())

    view = await system.http.get(f"{system.url}/v1/cases/{reference}", headers=theirs)
    assert view.status_code == 200, view.text
    assert view.json()["case"]["area"] == UNASSIGNED_AREA
    assert "set_area" in view.json()["status"]["allowed_actions"]
    read = await system.http.get(f"{system.url}/v1/tasks/{task['id']}", headers=theirs)
    assert read.status_code == 200, read.text
    # Holding the work waits until the case is placed: a claim is the owning area's.
    claim = await system.http.post(f"{system.url}/v1/tasks/{task['id']}/claim", headers=theirs)
    assert claim.status_code == 404

    # The officer's reads, each beside intake's row for the form the assessment service read.
    rows = (await system.access_log())[before:]
    assert [(r["subject"], r["referral_id"]) for r in rows] == [
        ("svc-assessment", task["referral_id"]),
        ("officer-40", task["referral_id"]),
        ("officer-40", task["referral_id"]),
    ]
    assert "referral.form" in rows[1]["fields"]


async def test_placing_the_case_moves_it_from_triage_to_the_areas_inbox(
    system: Assessment,
) -> None:
    reference = await _unplaced(system)
    officer = system.staff.officer(areas=(OTHER_AREA, AREA))

    answer = await _place(system, reference, AREA, officer)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["area"], answer.json()["stage"]) == (AREA, "GATEWAY_ASSESSMENT")
    assert "set_area" not in answer.json()["allowed_actions"]

    async def task_area() -> str:
        return str((await system.tasks_of(reference))[0]["area"])

    await assert_eventually(task_area, lambda area: area == AREA)
    assert await _listed(system, "/v1/triage", officer) == []
    colleague = system.staff.officer("officer-18")
    assert await _listed(system, "/v1/tasks", colleague) == [reference]
    elsewhere = system.staff.officer("officer-40", areas=(OTHER_AREA,))
    gone = await system.http.get(f"{system.url}/v1/cases/{reference}", headers=elsewhere)
    assert gone.status_code == 404

    view = await system.http.get(f"{system.url}/v1/cases/{reference}", headers=colleague)
    body = view.json()
    assert body["case"]["area"] == AREA
    [decision] = body["decisions"]
    assert (decision["action"], decision["actor_id"], decision["actor_role"]) == (
        "set_area",
        "officer-17",
        "prevent_officer",
    )
    assert decision["detail"] == {"area": AREA}
    entries = [(e["kind"], e["summary"], e["actor_id"]) for e in body["chronology"]]
    assert ("decision", "Set area", "officer-17") in entries
    assert ("event", f"Area set to {AREA}", None) in entries


async def test_an_area_outside_the_token_is_refused_and_nothing_changes(
    system: Assessment,
) -> None:
    reference = await _unplaced(system)
    answer = await _place(system, reference, OTHER_AREA, system.staff.officer())
    assert (answer.status_code, answer.headers["content-type"]) == (403, PROBLEM)
    assert answer.json()["title"] == "Area not permitted"
    assert await _workflow_area(system, reference) == (UNASSIGNED_AREA, 0)
    assert await _listed(system, "/v1/triage", system.staff.officer()) == [reference]


async def test_a_case_that_has_an_area_is_a_conflict(system: Assessment) -> None:
    reference = await system.submit()
    officer = system.staff.officer()
    answer = await _place(system, reference, AREA, officer)
    assert (answer.status_code, answer.headers["content-type"]) == (409, PROBLEM)
    assert (answer.json()["title"], answer.json()["area"]) == ("Area already set", AREA)
    assert await _workflow_area(system, reference) == (AREA, 0)
    # Another area's case is not confirmed to exist, whatever the body says.
    theirs = system.staff.officer("officer-40", areas=(OTHER_AREA,))
    assert (await _place(system, reference, OTHER_AREA, theirs)).status_code == 404

    unplaced = await _unplaced(system)
    assert (await _place(system, unplaced, AREA, officer)).status_code == 200
    again = await _place(system, unplaced, AREA, officer)
    assert (again.status_code, again.json()["title"]) == (409, "Area already set")
    assert await _workflow_area(system, unplaced) == (AREA, 1)


async def test_auditors_read_triage_but_never_place_and_operators_see_neither(
    system: Assessment,
) -> None:
    reference = await _unplaced(system)
    auditor = system.staff.headers(Role.AUDITOR, "auditor-2", areas=(AREA,))
    operator = system.staff.headers(Role.OPERATOR, "operator-1", areas=())
    assert await _listed(system, "/v1/triage", auditor) == [reference]
    for headers in (auditor, operator):
        refused = await _place(system, reference, AREA, headers)
        assert (refused.status_code, refused.headers["content-type"]) == (403, PROBLEM)
    listed = await system.http.get(f"{system.url}/v1/triage", headers=operator)
    assert listed.status_code == 403
    assert await _workflow_area(system, reference) == (UNASSIGNED_AREA, 0)
