"""Channel: consent, panel, support, exit and post-exit reviews under both consent policies."""

from __future__ import annotations

import pytest

from safeguard.codes import (
    ClosureReason,
    ConsentDecision,
    ConsentPolicy,
    ConsentRoute,
    GatewayOutcome,
    ReviewDecision,
    Stage,
)
from safeguard.policy import LifecyclePolicy
from tests.workflow import builders as b
from tests.workflow.conftest import ADULT_DOB, CHAIR, GUARDIAN, Handle, Harness
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow

BEFORE = LifecyclePolicy(consent_policy=ConsentPolicy.BEFORE_PANEL)
AFTER = LifecyclePolicy(consent_policy=ConsentPolicy.AFTER_ADOPTION)


async def _refer(harness: Harness, policy: LifecyclePolicy, **start: object) -> Handle:
    case = await harness.start(policy=policy, **start)  # type: ignore[arg-type]
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    )
    return case


async def _consent(case: Handle, route: ConsentRoute = ConsentRoute.GUARDIAN) -> None:
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent(route))
    await case.execute_update(ReferralWorkflow.record_consent, b.consent())


async def _into_support(harness: Harness, policy: LifecyclePolicy) -> Handle:
    case = await _refer(harness, policy)
    if policy.consent_policy is ConsentPolicy.BEFORE_PANEL:
        await _consent(case)
        await case.execute_update(ReferralWorkflow.record_panel_decision, b.adopt())
    else:
        await case.execute_update(ReferralWorkflow.record_panel_decision, b.adopt())
        await _consent(case)
    await harness.wait_for_stage(case, Stage.SUPPORT_ACTIVE)
    return case


async def test_before_panel_asks_consent_first(harness: Harness) -> None:
    case = await _refer(harness, BEFORE)
    status = await harness.status(case)
    assert status.stage is Stage.CONSENT_PENDING
    assert status.allowed_actions == ["add_information", "request_consent", "transfer_case"]
    await _consent(case)
    status = await harness.wait_for_stage(case, Stage.PANEL_CONSIDERATION)
    status = await case.execute_update(ReferralWorkflow.record_panel_decision, b.adopt())
    assert (status.stage, status.plan_revision) == (Stage.SUPPORT_ACTIVE, 1)


async def test_after_adoption_asks_consent_once_the_panel_adopts(harness: Harness) -> None:
    case = await _refer(harness, AFTER)
    assert (await harness.status(case)).stage is Stage.PANEL_CONSIDERATION
    status = await case.execute_update(ReferralWorkflow.record_panel_decision, b.adopt())
    assert status.stage is Stage.CONSENT_PENDING
    await _consent(case)
    assert (await harness.status(case)).stage is Stage.SUPPORT_ACTIVE


@pytest.mark.parametrize("policy", [BEFORE, AFTER], ids=["before_panel", "after_adoption"])
async def test_full_journey_to_closure_after_both_post_exit_reviews(
    harness: Harness, policy: LifecyclePolicy
) -> None:
    case = await _into_support(harness, policy)
    await harness.advance(case, 31)
    await harness.wait_for_event(case, "support_review.due")
    await case.execute_update(
        ReferralWorkflow.record_support_review, b.review(ReviewDecision.CONTINUE)
    )
    revised = b.review(ReviewDecision.REVISE, plan=b.plan(items=2))
    status = await case.execute_update(ReferralWorkflow.record_support_review, revised)
    assert status.plan_revision == 2
    status = await case.execute_update(
        ReferralWorkflow.record_support_review, b.review(ReviewDecision.EXIT)
    )
    assert status.stage is Stage.POST_EXIT_REVIEW
    assert set(status.due) >= {"post_exit_review_due_6m", "post_exit_review_due_12m"}
    await harness.advance(case, 190)
    await harness.wait_for_event(case, "post_exit_review.due")
    await case.execute_update(ReferralWorkflow.record_post_exit_review, b.post_exit(6))
    await harness.advance(case, 190)
    await harness.wait_for_event(case, "post_exit_review.due", count=2)
    status = await case.execute_update(ReferralWorkflow.record_post_exit_review, b.post_exit(12))
    assert (status.stage, status.closure_reason) == (
        Stage.CLOSED,
        ClosureReason.SUPPORT_COMPLETED,
    )
    due = [p["months"] for p in harness.payloads(case, "post_exit_review.due")]
    assert due == [6, 12]


async def test_a_missed_six_month_review_does_not_lose_the_twelve_month_one(
    harness: Harness,
) -> None:
    case = await _into_support(harness, BEFORE)
    await case.execute_update(ReferralWorkflow.record_support_review, b.review(ReviewDecision.EXIT))
    await harness.advance(case, 370)
    await harness.wait_for_event(case, "post_exit_review.overdue", count=1)
    await harness.wait_for_event(case, "post_exit_review.due", count=2)
    overdue = harness.payloads(case, "post_exit_review.overdue")
    assert overdue[0]["months"] == 6
    # The escalation says when the review was due, not when it was escalated.
    due = next(p for p in harness.payloads(case, "post_exit_review.due") if p["months"] == 6)
    assert overdue[0]["due_at"] == due["due_at"]
    status = await harness.status(case)
    assert status.stage is Stage.POST_EXIT_REVIEW


async def test_an_overdue_support_review_says_when_it_was_due(harness: Harness) -> None:
    case = await _into_support(harness, BEFORE)
    await harness.advance(case, 31 + BEFORE.review_overdue_days + 1)
    await harness.wait_for_event(case, "support_review.overdue")
    [due] = harness.payloads(case, "support_review.due")[:1]
    [overdue] = harness.payloads(case, "support_review.overdue")[:1]
    assert overdue["due_at"] == due["due_at"]


async def test_concerns_at_a_post_exit_review_reopen_the_case(harness: Harness) -> None:
    case = await _into_support(harness, BEFORE)
    await case.execute_update(ReferralWorkflow.record_support_review, b.review(ReviewDecision.EXIT))
    await harness.advance(case, 160)  # the 6-month review's window opens
    status = await case.execute_update(
        ReferralWorkflow.record_post_exit_review, b.post_exit(6, concerns=True)
    )
    assert status.stage is Stage.CONSENT_PENDING
    assert harness.events(case)[-2:] == ["post_exit_review.recorded", "case.reopened"]


async def test_refusal_waits_for_the_panel_to_reassess(harness: Harness) -> None:
    case = await _refer(harness, BEFORE)
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    status = await case.execute_update(
        ReferralWorkflow.record_consent, b.consent(ConsentDecision.REFUSED)
    )
    assert status.stage is Stage.CONSENT_REFUSED
    await harness.advance(case, 91)
    await harness.wait_for_event(case, "consent.reassessment_due")
    again = a.RefusalReassessmentInput(
        actor=CHAIR, decision="request_consent_again", notes="Family now willing to talk."
    )
    status = await case.execute_update(ReferralWorkflow.reassess_after_refusal, again)
    assert status.stage is Stage.CONSENT_PENDING
    await _consent(case)
    assert (await harness.status(case)).stage is Stage.PANEL_CONSIDERATION


async def test_unanswered_consent_request_reminds_then_expires(harness: Harness) -> None:
    case = await _refer(harness, BEFORE)
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    await harness.advance(case, 29)
    await harness.wait_for_stage(case, Stage.CONSENT_REFUSED)
    assert harness.events(case)[-2:] == ["consent.reminder_due", "consent.recorded"]
    assert harness.payloads(case, "consent.recorded")[-1]["decision"] == "no_response"
    close = a.RefusalReassessmentInput(actor=CHAIR, decision="close", notes="No engagement.")
    status = await case.execute_update(ReferralWorkflow.reassess_after_refusal, close)
    assert status.closure_reason is ClosureReason.CONSENT_NOT_GIVEN


async def test_withdrawal_stops_support(harness: Harness) -> None:
    case = await _into_support(harness, AFTER)
    withdraw = a.WithdrawConsentInput(actor=GUARDIAN)
    status = await case.execute_update(ReferralWorkflow.withdraw_consent, withdraw)
    assert status.stage is Stage.CONSENT_REFUSED
    assert harness.payloads(case, "consent.recorded")[-1]["decision"] == "withdrawn"


async def test_an_adult_consents_for_themselves(harness: Harness) -> None:
    case = await _refer(harness, BEFORE, dob=ADULT_DOB)
    await _consent(case, ConsentRoute.PERSON)
    assert harness.payloads(case, "consent.requested")[0]["route"] == "person"


async def test_not_adopted_closes_with_health_and_social_care_considered(
    harness: Harness,
) -> None:
    case = await _refer(harness, AFTER)
    decline = b.adopt(
        adopted=False,
        votes_for=1,
        votes_against=3,
        basis="majority",
        plan=None,
        health_or_social_care_considered=True,
    )
    status = await case.execute_update(ReferralWorkflow.record_panel_decision, decline)
    assert (status.stage, status.closure_reason) == (Stage.CLOSED, ClosureReason.NOT_ADOPTED)
