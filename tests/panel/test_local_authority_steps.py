"""Over the panel API: the guardian's answer is only acknowledged, the local authority refers
to Channel, and the panel chooses when a case without consent is reassessed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.helpers import assert_eventually
from tests.panel.conftest import Pipeline


async def test_the_guardian_is_told_nothing_of_the_case(system: Pipeline) -> None:
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    guardian = system.staff.guardian(reference)
    assert await d.give_consent(reference, headers=guardian) == {"acknowledged": True}
    await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
    withdrawn = await d.ok(
        "POST", f"/v1/cases/{reference}/consent/withdrawal", headers=guardian, json={}
    )
    assert withdrawn == {"acknowledged": True}
    # Staff still learn where the step took the case.
    await d.wait_for_stage(reference, "CONSENT_REFUSED")


async def test_the_local_authority_refers_a_case_to_channel(system: Pipeline) -> None:
    d = system.driver
    reference = await system.submit()
    await d.wait_for_stage(reference, "GATEWAY_ASSESSMENT")
    status = await d.ok(
        "POST",
        f"/v1/cases/{reference}/channel-referral",
        json={"reasons": "Known to children's services; vulnerable to grooming."},
    )
    assert status["stage"] == "CONSENT_PENDING"
    view = await d.wait_for_stage(reference, "CONSENT_PENDING")
    steps = [(x["action"], x["actor_role"]) for x in view["decisions"]]
    assert ("refer_to_channel", "channel_chair") in steps


async def test_the_panel_chooses_when_it_reassesses(system: Pipeline) -> None:
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    await d.ok("POST", f"/v1/cases/{reference}/consent/answer", json={"decision": "refused"})
    await d.wait_for_stage(reference, "CONSENT_REFUSED")

    async def queued() -> list[dict[str, Any]]:
        return await system.rows("SELECT due_at FROM panel.cases WHERE reference = $1", reference)

    default = (await queued())[0]["due_at"]
    status = await d.ok(
        "POST", f"/v1/cases/{reference}/consent/reassessment-period", json={"days": 45}
    )
    due = dt.datetime.fromisoformat(status["due"]["consent_reassessment_due"])
    assert default - due == dt.timedelta(days=90 - 45)
    # The work queue shows the panel's date, not the deployment's default.
    await assert_eventually(queued, lambda rows: rows[0]["due_at"] == due)
