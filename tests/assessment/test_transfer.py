"""Transfers over the real services: the sending area asks, the receiving area finds the
request, reads the case and accepts; then the receiving area sees the case's whole history and
the sending area no longer sees the case at all."""

from __future__ import annotations

from typing import Any

from safeguard.problem_types import type_uri
from tests.assessment.conftest import AREA, Assessment
from tests.helpers import assert_eventually

RECEIVING = "W06000023"  # an area no other test uses, so its list holds only this test's cases
GATEWAY: dict[str, Any] = {
    "outcome": "POLICE_LED",
    "reasons": "Concerning online activity; police-led management is proportionate.",
    "deconfliction": "live_interest",
    "database_checks": "PNC: one prior caution (2024). Local intelligence: nothing further.",
}
REVIEW = {"decision": "continue", "notes": "Engaging well with the neighbourhood officer."}
REQUEST = {"to_area": RECEIVING, "reason": "The family moved to Powys in March."}


async def _incoming(system: Assessment, headers: dict[str, str]) -> list[str]:
    answer = await system.http.get(f"{system.url}/v1/transfers", headers=headers)
    assert answer.status_code == 200, answer.text
    return [item["reference"] for item in answer.json()]


async def _case(system: Assessment, reference: str, headers: dict[str, str]) -> Any:
    return await system.http.get(f"{system.url}/v1/cases/{reference}", headers=headers)


async def _post(
    system: Assessment, path: str, headers: dict[str, str], body: dict[str, Any] | None = None
) -> Any:
    return await system.http.post(f"{system.url}{path}", json=body, headers=headers)


async def test_the_receiving_area_accepts_and_sees_the_history_the_sender_loses_it(
    system: Assessment,
) -> None:
    reference = await system.submit()
    base = f"/v1/cases/{reference}"
    sender = system.staff.officer("officer-17", areas=(AREA,))
    receiver = system.staff.officer("officer-61", areas=(RECEIVING,))
    bystander = system.staff.officer("officer-90", areas=("E06000052",))
    # Earlier steps, all by the sending area.
    assert (await _post(system, f"{base}/gateway-assessment", sender, GATEWAY)).status_code == 200
    assert (await _post(system, f"{base}/police-reviews", sender, REVIEW)).status_code == 200
    assert (await _case(system, reference, receiver)).status_code == 404

    asked = await _post(system, f"{base}/transfer", sender, REQUEST)
    assert asked.status_code == 200, asked.text
    assert asked.json()["area"] == AREA  # still the sender's until accepted
    assert asked.json()["pending_transfer"]["to_area"] == RECEIVING

    # The receiving officer finds it waiting, and reads the case to decide.
    await assert_eventually(lambda: _incoming(system, receiver), lambda refs: reference in refs)
    assert reference not in await _incoming(system, sender)
    pending = await _case(system, reference, receiver)
    assert pending.status_code == 200, pending.text
    assert pending.json()["case"]["transfer_to"] == RECEIVING
    assert (await _case(system, reference, bystander)).status_code == 404

    # Only the receiving area accepts; a third area does not see the case at all.
    by_sender = await _post(system, f"{base}/transfer/accept", sender)
    assert by_sender.status_code == 403
    assert by_sender.json()["type"] == type_uri("Not the receiving area")
    assert (await _post(system, f"{base}/transfer/accept", bystander)).status_code == 404
    accepted = await _post(system, f"{base}/transfer/accept", receiver)
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["area"], accepted.json()["pending_transfer"]) == (RECEIVING, None)

    # The sending area loses the case: reads and decisions answer as for an unknown case.
    async def senders_view() -> int:
        return int((await _case(system, reference, sender)).status_code)

    await assert_eventually(senders_view, lambda status: status == 404)
    refused = await _post(system, f"{base}/police-reviews", sender, REVIEW)
    assert refused.status_code == 404
    assert (await _post(system, f"{base}/transfer/withdraw", sender, {})).status_code == 404

    # The receiving area sees the whole history: every earlier step, by whom, and the referral.
    view = (await _case(system, reference, receiver)).json()
    assert view["case"]["area"] == RECEIVING and view["case"]["transfer_to"] is None
    assert view["referral"]["person"]["family_name"]
    decisions = [(d["action"], d["actor_id"]) for d in view["decisions"]]
    assert decisions == [
        ("record_gateway_assessment", "officer-17"),
        ("record_police_review", "officer-17"),
        ("transfer_case", "officer-17"),
        ("accept_transfer", "officer-61"),
    ]
    assert view["decisions"][0]["detail"]["database_checks"] == GATEWAY["database_checks"]
    assert view["decisions"][2]["detail"]["reason"] == REQUEST["reason"]
    summaries = [entry["summary"] for entry in view["chronology"]]
    for expected in (
        "Referral received",
        "Gateway assessment recorded: POLICE_LED",
        "Police-led review recorded",
        f"Transfer to {RECEIVING} requested",
        f"Transferred from {AREA} to {RECEIVING}",
    ):
        assert any(summary.startswith(expected) for summary in summaries), expected
    assert [t["kind"] for t in view["tasks"]] == ["gateway_assessment"]
    assert reference not in await _incoming(system, receiver)
    # And it is theirs to work on now.
    assert (await _post(system, f"{base}/police-reviews", receiver, REVIEW)).status_code == 200


async def test_a_declined_or_withdrawn_transfer_leaves_the_case_with_the_sender(
    system: Assessment,
) -> None:
    reference = await system.submit()
    base = f"/v1/cases/{reference}"
    sender = system.staff.officer("officer-17", areas=(AREA,))
    receiver = system.staff.officer("officer-61", areas=(RECEIVING,))
    assert (await _post(system, f"{base}/transfer", sender, REQUEST)).status_code == 200
    again = await _post(system, f"{base}/transfer", sender, REQUEST | {"to_area": "E06000052"})
    assert again.status_code == 409
    assert again.json()["type"] == type_uri("Transfer already requested")
    by_receiver = await _post(system, f"{base}/transfer/withdraw", receiver, {})
    assert by_receiver.status_code == 403
    assert by_receiver.json()["type"] == type_uri("Not the sending area")

    declined = await _post(system, f"{base}/transfer/decline", receiver, {"reason": "Not ours."})
    assert declined.status_code == 200, declined.text
    assert (declined.json()["area"], declined.json()["pending_transfer"]) == (AREA, None)
    await assert_eventually(lambda: _incoming(system, receiver), lambda refs: reference not in refs)

    async def receivers_view() -> int:
        return int((await _case(system, reference, receiver)).status_code)

    await assert_eventually(receivers_view, lambda status: status == 404)
    assert (await _case(system, reference, sender)).status_code == 200
    late = await _post(system, f"{base}/transfer/accept", sender)
    assert late.status_code == 409
    assert late.json()["type"] == type_uri("No transfer requested")

    # Asked again, then withdrawn by the sender.
    assert (await _post(system, f"{base}/transfer", sender, REQUEST)).status_code == 200
    withdrawn = await _post(system, f"{base}/transfer/withdraw", sender, {})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["pending_transfer"] is None
    same = await _post(system, f"{base}/transfer", sender, REQUEST | {"to_area": AREA})
    assert same.status_code == 422
    assert same.json()["type"] == type_uri("Already in that area")
    chronology = [
        e["summary"] for e in (await _case(system, reference, sender)).json()["chronology"]
    ]
    assert f"Transfer to {RECEIVING} declined by {RECEIVING}" in chronology
