"""A consent request's method travels with its events, so the written request (and its
reminder) goes the way the request was made."""

from __future__ import annotations

from safeguard.codes import GatewayOutcome
from tests.workflow import builders as b
from tests.workflow.conftest import Harness
from workflows.referral.workflows import ReferralWorkflow


async def test_the_request_and_its_reminder_carry_the_method(harness: Harness) -> None:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    )
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    await harness.advance(case, 8)
    await harness.wait_for_event(case, "consent.reminder_due")
    requested = harness.payloads(case, "consent.requested")
    reminded = harness.payloads(case, "consent.reminder_due")
    assert [p["method"] for p in requested + reminded] == ["letter", "letter"]
