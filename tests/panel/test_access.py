"""Who sees what: agendas, providers' items, police-only fields, the access log, stale steps."""

from __future__ import annotations

import json

from safeguard.codes import Role
from tests.helpers import assert_eventually
from tests.panel.conftest import GATEWAY, Pipeline
from tests.panel.driver import AREA, OTHER_AREA, plan


async def _in_panel(system: Pipeline) -> str:
    """A case the guardian consented to, awaiting the panel."""
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    await d.give_consent(reference, headers=system.staff.guardian(reference))
    await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
    return reference


async def test_panel_members_see_only_cases_on_their_panels_agendas(system: Pipeline) -> None:
    d = system.driver
    listed, unlisted = await _in_panel(system), await _in_panel(system)
    meeting = await d.meeting(listed)
    member, outsider = system.staff.member("school-9"), system.staff.member("outsider-1")
    # A token naming the cases' area changes nothing: members see by agenda, never by area.
    with_area = system.staff.member("school-9", areas=(AREA,))

    for token in (member, with_area):
        assert (await d.call("GET", f"/v1/cases/{listed}", headers=token)).status_code == 200
        assert (await d.call("GET", f"/v1/cases/{unlisted}", headers=token)).status_code == 404
        queue = await d.ok("GET", "/v1/queue", headers=token)
        assert [item["reference"] for item in queue["items"]] == [listed]
    for token in (outsider, system.staff.member("outsider-1", areas=(AREA,))):
        answer = await d.call("GET", f"/v1/cases/{unlisted}", headers=token)
        assert answer.status_code == 404
    chair_queue = await d.ok("GET", "/v1/queue", params={"kind": "panel"})
    assert {item["reference"] for item in chair_queue["items"]} == {listed, unlisted}

    for path in (f"/v1/cases/{listed}", f"/v1/meetings/{meeting}", f"/v1/cases/{listed}/consent"):
        assert (await d.call("GET", path, headers=outsider)).status_code == 404
    assert (await d.ok("GET", "/v1/queue", headers=outsider))["items"] == []
    assert await d.ok("GET", "/v1/panels", headers=outsider) == []

    # Unseated, the member loses the panel's cases at once.
    panel_id = await d.panel()
    await d.ok("DELETE", f"/v1/panels/{panel_id}/members/school-9")
    assert (await d.call("GET", f"/v1/cases/{listed}", headers=member)).status_code == 404


async def test_members_lose_sight_of_a_case_the_panel_stopped_discussing_or_transferred(
    system: Pipeline,
) -> None:
    d = system.driver
    stale, moved = await _in_panel(system), await _in_panel(system)
    old_meeting = await d.meeting(stale)
    await d.meeting(moved)
    member = system.staff.member("school-9")
    for reference in (stale, moved):
        assert (await d.call("GET", f"/v1/cases/{reference}", headers=member)).status_code == 200

    # Its only meeting was four months ago: the case has left the members' view.
    async with system.pool.acquire() as conn:
        await conn.execute(
            "UPDATE panel.meetings SET scheduled_for = now() - interval '120 days' WHERE id = $1",
            old_meeting,
        )
    assert (await d.call("GET", f"/v1/cases/{stale}", headers=member)).status_code == 404
    queue = await d.ok("GET", "/v1/queue", headers=member)
    assert stale not in [item["reference"] for item in queue["items"]]

    # Transferred to another area: its old panel's members no longer see it.
    transfer = {"to_area": OTHER_AREA, "reason": "The family moved."}
    await d.ok("POST", f"/v1/cases/{moved}/transfer", json=transfer)
    receiving = system.staff.chair(areas=(OTHER_AREA,))
    await d.ok("POST", f"/v1/cases/{moved}/transfer/accept", headers=receiving)

    async def moved_away() -> int:
        answer = await d.call("GET", f"/v1/cases/{moved}", headers=member)
        return answer.status_code

    await assert_eventually(moved_away, lambda status: status == 404, within=30)
    queue = await d.ok("GET", "/v1/queue", headers=member)
    assert queue["items"] == []


async def test_a_chair_sees_only_their_areas(system: Pipeline) -> None:
    d = system.driver
    reference = await _in_panel(system)
    elsewhere = system.staff.chair(areas=(OTHER_AREA,))
    assert (await d.call("GET", f"/v1/cases/{reference}", headers=elsewhere)).status_code == 404
    answer = await d.call(
        "POST", f"/v1/cases/{reference}/information", headers=elsewhere, json={"summary": "x"}
    )
    assert answer.status_code == 404
    answer = await d.call(
        "POST", "/v1/panels", headers=elsewhere, json={"area": "E08000003", "name": "Not mine"}
    )
    assert answer.status_code == 403


async def test_police_only_fields_never_reach_panel_roles(system: Pipeline) -> None:
    d = system.driver
    reference = await _in_panel(system)
    await d.meeting(reference)
    readers = {
        Role.CHANNEL_CHAIR: system.staff.chair(),
        Role.PANEL_MEMBER: system.staff.member("police-2"),
        Role.AUDITOR: system.staff.headers(Role.AUDITOR, "auditor-1", areas=()),
    }
    for role, headers in readers.items():
        view = await d.ok("GET", f"/v1/cases/{reference}", headers=headers)
        gateway = next(x for x in view["decisions"] if x["action"] == "record_gateway_assessment")
        assert gateway["detail"]["reasons"] == GATEWAY["reasons"], role
        text = json.dumps(view)
        for hidden in ("deconfliction", "database_checks", "live_interest", "PNC"):
            assert hidden not in text, (role, hidden)

    # The one rule's other arm: a police auditor sees them (a police panel member does not).
    police = system.staff.headers(Role.AUDITOR, "auditor-7", areas=(), agency="police")
    view = await d.ok("GET", f"/v1/cases/{reference}", headers=police)
    gateway = next(x for x in view["decisions"] if x["action"] == "record_gateway_assessment")
    assert gateway["detail"]["database_checks"] == GATEWAY["database_checks"]


async def test_providers_see_and_update_only_their_items(system: Pipeline) -> None:
    d = system.driver
    reference = await _in_panel(system)
    meeting = await d.meeting(reference)
    await d.adopt(reference, meeting, "mentor-a", "mentor-b")
    view = await d.wait_for_stage(reference, "SUPPORT_ACTIVE")
    items = {i["provider_id"]: i["item_id"] for i in view["plan"][0]["items"]}
    mentor_a = system.staff.provider("mentor-a")

    mine = await d.ok("GET", "/v1/provider/items", headers=mentor_a)
    assert [(i["item_id"], i["frequency"], i["start"]) for i in mine] == [
        (items["mentor-a"], "weekly", "2026-12-01")
    ]
    assert "referral" not in mine[0] and "decisions" not in mine[0]
    theirs = items["mentor-b"]
    assert (
        await d.call("GET", f"/v1/provider/items/{theirs}", headers=mentor_a)
    ).status_code == 404
    contact = {"held_on": "2026-12-08", "kind": "session", "attended": True, "notes": "Good."}
    answer = await d.call(
        "POST", f"/v1/provider/items/{theirs}/contacts", headers=mentor_a, json=contact
    )
    assert answer.status_code == 404
    recorded = await d.ok(
        "POST", f"/v1/provider/items/{items['mentor-a']}/contacts", headers=mentor_a, json=contact
    )
    assert [(c["kind"], c["attended"]) for c in recorded["contacts"]] == [("session", True)]
    nobody = system.staff.headers(Role.INTERVENTION_PROVIDER, "no-provider", areas=())
    assert await d.ok("GET", "/v1/provider/items", headers=nobody) == []

    # A revision drops mentor-a: their old item is history, read-only.
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/support-reviews",
        json={"decision": "revise", "notes": "Mentor b only.", "plan": plan("mentor-b")},
    )

    async def current() -> list[object]:
        return list(await d.ok("GET", "/v1/provider/items", headers=mentor_a))

    await assert_eventually(current, lambda found: found == [])
    old = await d.ok(
        "GET", "/v1/provider/items", headers=mentor_a, params={"include_superseded": "true"}
    )
    assert [(i["item_id"], i["current"]) for i in old] == [(items["mentor-a"], False)]
    answer = await d.call(
        "POST", f"/v1/provider/items/{items['mentor-a']}/contacts", headers=mentor_a, json=contact
    )
    assert answer.status_code == 409


async def test_every_read_is_logged_with_its_purpose_and_fields(system: Pipeline) -> None:
    d = system.driver
    reference = await _in_panel(system)
    await d.meeting(reference)
    member = system.staff.member("health-4")
    await d.ok("GET", f"/v1/cases/{reference}", headers=member | {"X-Purpose": "Panel prep"})
    await d.ok("GET", f"/v1/cases/{reference}/consent", headers=member)
    rows = await system.rows(
        "SELECT service, subject, role, referral_id, fields, purpose FROM audit.access_log"
        " WHERE subject = 'health-4' ORDER BY id"
    )
    referral_id = (await d.ok("GET", f"/v1/cases/{reference}"))["case"]["referral_id"]
    assert [(r["service"], r["role"], str(r["referral_id"]), r["purpose"]) for r in rows] == [
        ("panel", "panel_member", referral_id, "Panel prep"),
        ("panel", "panel_member", referral_id, "Channel panel casework"),
    ]
    assert {"referral.form", "decisions", "consent", "plan"} <= set(rows[0]["fields"])
    assert rows[1]["fields"] == ["consent"]

    # No purpose, no data, no row.
    unstated = {k: v for k, v in member.items() if k != "X-Purpose"}
    answer = await d.call("GET", f"/v1/cases/{reference}", headers=unstated)
    assert answer.status_code == 400
    assert len(await system.rows("SELECT 1 FROM audit.access_log WHERE subject = 'health-4'")) == 2


async def test_a_stale_step_is_409_with_the_current_stage(system: Pipeline) -> None:
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    answer = await d.call(
        "POST",
        f"/v1/cases/{reference}/post-exit-reviews",
        json={"months": 6, "concerns": False, "notes": "Too early."},
    )
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["stage"] == "CONSENT_PENDING"
    # The guardian's portal token works for its own case only.
    other = await system.refer()
    await d.wait_for_stage(other, "CONSENT_PENDING")
    await d.request_consent(other)
    answer = await d.call(
        "POST",
        f"/v1/cases/{other}/consent/answer",
        headers=system.staff.guardian(reference),
        json={"decision": "given"},
    )
    assert answer.status_code == 404


async def test_operators_see_counts_and_no_case_content(system: Pipeline) -> None:
    d = system.driver
    reference = await _in_panel(system)
    operator = system.staff.headers(Role.OPERATOR, "operator-1", areas=())
    counts = await d.ok("GET", "/v1/metrics", headers=operator)
    assert counts["waiting_by_kind"] == {"panel": 1} and counts["cases"] == 1
    assert reference not in json.dumps(counts)
    for path in (f"/v1/cases/{reference}", "/v1/queue", "/v1/panels"):
        assert (await d.call("GET", path, headers=operator)).status_code == 403


async def test_a_decision_takes_attendees_and_conflicts_from_the_meeting(system: Pipeline) -> None:
    d = system.driver
    reference = await _in_panel(system)
    conflict = {"attendee_id": "school-9", "reference": reference, "description": "Teaches them."}
    meeting = await d.meeting(reference, conflicts=[conflict])
    await d.adopt(reference, meeting, "mentor-a")
    view = await d.wait_for_stage(reference, "SUPPORT_ACTIVE")
    decision = next(x for x in view["decisions"] if x["action"] == "record_panel_decision")
    assert len(decision["detail"]["attendees"]) == 4
    assert decision["detail"]["conflicts"] == [conflict]
    assert decision["detail"]["meeting_id"] == meeting
    # A case that is not on the meeting's agenda cannot be decided there.
    other = await _in_panel(system)
    answer = await d.call(
        "POST",
        f"/v1/cases/{other}/decision",
        json={
            "meeting_id": meeting,
            "adopted": False,
            "basis": "unanimous",
            "votes_for": 0,
            "votes_against": 4,
            "reasons": "No.",
            "health_or_social_care_considered": True,
        },
    )
    assert answer.status_code == 422
