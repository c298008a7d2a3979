"""Gateway assessment: every outcome, the police-led path, reminders, escalation, retention."""

from __future__ import annotations

import pytest

from safeguard.codes import ClosureReason, GatewayOutcome, Stage
from tests.helpers import personal_left
from tests.workflow import builders as b
from tests.workflow.conftest import OFFICER, Harness
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (GatewayOutcome.NO_FURTHER_ACTION, ClosureReason.NO_FURTHER_ACTION),
        (GatewayOutcome.SIGNPOSTED, ClosureReason.SIGNPOSTED),
        (GatewayOutcome.ESCALATED_TO_PURSUE, ClosureReason.ESCALATED_TO_PURSUE),
    ],
)
async def test_closing_outcomes_close_the_case(
    harness: Harness, outcome: GatewayOutcome, reason: ClosureReason
) -> None:
    case = await harness.start()
    status = await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(outcome)
    )
    assert (status.stage, status.closure_reason) == (Stage.CLOSED, reason)
    assert harness.events(case) == ["referral.submitted", "assessment.recorded", "case.closed"]
    recorded = harness.payloads(case, "assessment.recorded")[0]
    assert recorded["outcome"] == outcome
    assert recorded["actor_role"] == "prevent_officer"
    assert "retention_expiry" in status.due


async def test_retention_is_three_years_for_nfa_and_six_otherwise(harness: Harness) -> None:
    nfa = await harness.start()
    pursue = await harness.start()
    await nfa.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )
    await pursue.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.ESCALATED_TO_PURSUE)
    )
    nfa_closed = harness.payloads(nfa, "case.closed")[0]
    pursue_closed = harness.payloads(pursue, "case.closed")[0]
    assert nfa_closed["retain_until"][:4] == "2029"
    assert pursue_closed["retain_until"][:4] == "2032"


async def test_retention_expiry_redacts_and_keeps_the_audit_trail(harness: Harness) -> None:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )
    await harness.advance(case, 3 * 366)
    await case.result()
    assert harness.events(case)[-1] == "case.redacted"
    decisions = await case.query(ReferralWorkflow.decisions)
    assert [(d.action, d.actor_id, d.actor_role) for d in decisions] == [
        ("record_gateway_assessment", "officer-17", "prevent_officer")
    ]
    assert decisions[0].detail == {
        "outcome": "NO_FURTHER_ACTION",
        "deconfliction": "no_live_interest",
        "signposted_to": None,
    }
    status = await harness.status(case)
    assert not personal_left([d.model_dump(mode="json") for d in decisions])
    assert not personal_left(status.model_dump(mode="json"))


async def test_overdue_assessment_reminds_then_escalates(harness: Harness) -> None:
    case = await harness.start()
    status = await harness.status(case)
    assert set(status.due) == {"assessment_reminder", "assessment_overdue"}
    # Five working days can span a weekend and bank holidays: eight calendar days always do.
    await harness.advance(case, 12)
    await harness.wait_for_event(case, "assessment.overdue")
    events = harness.events(case)
    assert events.index("assessment.reminder_due") < events.index("assessment.overdue")
    overdue = harness.payloads(case, "assessment.overdue")[0]
    assert overdue["due_at"] == harness.payloads(case, "referral.submitted")[0]["assessment_due_at"]
    status = await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )
    assert status.stage is Stage.CLOSED


async def test_police_led_case_is_reviewed_then_closed(harness: Harness) -> None:
    case = await harness.start()
    status = await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.POLICE_LED)
    )
    assert status.stage is Stage.POLICE_LED
    assert set(status.due) == {"police_review_due"}
    await harness.advance(case, 91)
    await harness.wait_for_event(case, "police_review.due")
    review = a.PoliceReviewInput(actor=OFFICER, decision="continue", notes="Stable.")
    status = await case.execute_update(ReferralWorkflow.record_police_review, review)
    assert status.stage is Stage.POLICE_LED and "police_review_due" in status.due
    close = a.PoliceReviewInput(actor=OFFICER, decision="close", notes="Risk reduced.")
    status = await case.execute_update(ReferralWorkflow.record_police_review, close)
    assert (status.stage, status.closure_reason) == (Stage.CLOSED, ClosureReason.POLICE_LED_CLOSED)


async def test_new_information_sends_a_police_led_case_back_to_assessment(
    harness: Harness,
) -> None:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.POLICE_LED)
    )
    info = a.NewInformationInput(actor=OFFICER, summary="School reports new material shared.")
    status = await case.execute_update(ReferralWorkflow.add_information, info)
    assert status.stage is Stage.GATEWAY_ASSESSMENT
    assert set(status.due) == {"assessment_reminder", "assessment_overdue"}
    assert harness.events(case)[-1] == "assessment.reassessment_started"
