"""A retried request with the same Idempotency-Key applies its decision once."""

from __future__ import annotations

from safeguard import case_updates
from safeguard.codes import GatewayOutcome
from tests.workflow import builders as b
from tests.workflow.conftest import OFFICER, Harness
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow


async def test_same_key_same_decision_once(harness: Harness) -> None:
    case = await harness.start()
    police_led = b.gateway(GatewayOutcome.POLICE_LED)
    await case.execute_update(ReferralWorkflow.record_gateway_assessment, police_led)
    review = a.PoliceReviewInput(actor=OFFICER, decision="continue", notes="Stable.")
    token = case_updates._idempotency_key.set("retry-1")
    try:
        first = await case_updates.run_update(
            harness.client, case.id, ReferralWorkflow.record_police_review, review
        )
        again = await case_updates.run_update(
            harness.client, case.id, ReferralWorkflow.record_police_review, review
        )
    finally:
        case_updates._idempotency_key.reset(token)
    assert first == again
    assert first.decisions == 2
    fresh = await case_updates.run_update(
        harness.client, case.id, ReferralWorkflow.record_police_review, review
    )
    assert fresh.decisions == 3
