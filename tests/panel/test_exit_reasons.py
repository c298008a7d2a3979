"""The chair's exit takes a coded reason: refused without one over HTTP, then kept in the read
model, the `case.exited` event and the chronology (the code; its notes stay with the step)."""

from __future__ import annotations

import json

from tests.panel.conftest import Pipeline

NOTES = "Handed to the CAMHS team at the family's request."


async def supported(system: Pipeline) -> str:
    """A case in support, with the guardian's consent and a plan for mentor-a."""
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    await d.give_consent(reference)
    await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
    await d.adopt(reference, await d.meeting(reference), "mentor-a")
    await d.wait_for_stage(reference, "SUPPORT_ACTIVE")
    return reference


async def test_an_exit_without_a_reason_is_refused_and_one_with_it_is_kept(
    system: Pipeline,
) -> None:
    """Before: `{"decision": "exit"}` alone ended support, with no reason anywhere."""
    d = system.driver
    reference = await supported(system)
    path = f"/v1/cases/{reference}/support-reviews"
    review = {"decision": "exit", "notes": "Review at the panel."}
    refused = await d.call("POST", path, json=review)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "exit reason is required" in refused.json()["detail"]

    reason = {"code": "moved_to_other_support", "notes": NOTES}
    exited = await d.ok("POST", path, json=review | {"exit_reason": reason})
    assert exited["stage"] == "POST_EXIT_REVIEW"

    view = await d.wait_for_stage(reference, "POST_EXIT_REVIEW")
    assert view["case"]["exit_reason"] == "moved_to_other_support"
    [ended] = [c["summary"] for c in view["chronology"] if c["summary"].startswith("Support ended")]
    assert ended.startswith("Support ended (moved to support from another service);")
    [step] = [x for x in view["decisions"] if x["action"] == "record_support_review"]
    assert step["detail"]["exit_reason"] == reason  # the chair's own record keeps the notes
    events = await system.rows(
        "SELECT data FROM panel.case_events WHERE referral_id = $1 AND type = 'case.exited'",
        view["case"]["referral_id"],
    )
    [data] = [
        json.loads(row["data"]) if isinstance(row["data"], str) else row["data"] for row in events
    ]
    assert data["exit_reason"] == "moved_to_other_support"
    assert NOTES not in json.dumps(data)
