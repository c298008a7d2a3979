"""Transfers as chairs meet them: the receiving chair finds the request, reads the case and
accepts; then the case, with its consent and history, is theirs and no longer the sender's."""

from __future__ import annotations

from safeguard.problem_types import type_uri
from tests.helpers import assert_eventually
from tests.panel.conftest import Pipeline
from tests.panel.driver import AREA

RECEIVING = "W06000024"  # an area no other test uses, so its list holds only this test's cases


async def test_a_chair_of_the_receiving_area_accepts_and_sees_the_history(
    system: Pipeline,
) -> None:
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    await d.give_consent(reference, headers=system.staff.guardian(reference))
    await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
    sender, receiver = system.staff.chair(), system.staff.chair(areas=(RECEIVING,))
    case = f"/v1/cases/{reference}"
    assert (await d.call("GET", case, headers=receiver)).status_code == 404

    asked = await d.ok("POST", f"{case}/transfer", json={"to_area": RECEIVING, "reason": "Moved."})
    assert (asked["area"], asked["pending_transfer"]["to_area"]) == (AREA, RECEIVING)
    # The panel's own record of the step keeps the reason sealed, never in clear.
    [step] = await system.rows(
        "SELECT detail FROM panel.case_actions WHERE action = 'transfer_case'"
        " AND referral_id = (SELECT referral_id FROM panel.cases WHERE reference = $1)",
        reference,
    )
    assert step["detail"] == {"to_area": RECEIVING}

    async def incoming() -> list[str]:
        listed = await d.ok("GET", "/v1/transfers", headers=receiver)
        return [item["reference"] for item in listed]

    await assert_eventually(incoming, lambda refs: reference in refs)
    assert reference not in [t["reference"] for t in await d.ok("GET", "/v1/transfers")]
    # Pending, the receiving chair reads the case to decide, but may not work on it yet.
    pending = await d.ok("GET", case, headers=receiver)
    assert pending["case"]["transfer_to"] == RECEIVING
    info = {"summary": "A teacher reports new concerns."}
    assert (
        await d.call("POST", f"{case}/information", headers=receiver, json=info)
    ).status_code == 404
    by_sender = await d.call("POST", f"{case}/transfer/accept", headers=sender)
    assert by_sender.status_code == 403
    assert by_sender.json()["type"] == type_uri("Not the receiving area")

    accepted = await d.ok("POST", f"{case}/transfer/accept", headers=receiver)
    assert accepted["area"] == RECEIVING

    async def senders_view() -> int:
        return (await d.call("GET", case, headers=sender)).status_code

    await assert_eventually(senders_view, lambda status: status == 404)
    view = await d.ok("GET", case, headers=receiver)
    assert view["case"]["area"] == RECEIVING
    assert [record["event"] for record in view["consent"]] == ["requested", "given"]
    actions = [decision["action"] for decision in view["decisions"]]
    assert actions[-2:] == ["transfer_case", "accept_transfer"]
    assert "record_gateway_assessment" in actions and "record_consent" in actions
    summaries = [entry["summary"] for entry in view["chronology"]]
    assert any(s.startswith("Consent given") for s in summaries), summaries
    assert f"Transferred from {AREA} to {RECEIVING}" in summaries
