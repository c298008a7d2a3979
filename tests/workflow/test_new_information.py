"""New information re-opens police assessment during support and after exit."""

from __future__ import annotations

from safeguard.codes import GatewayOutcome, ReviewDecision, Stage
from tests.workflow import builders as b
from tests.workflow.conftest import CHAIR, OFFICER, Handle, Harness
from tests.workflow.test_channel import BEFORE, _into_support
from workflows.referral import actions as a
from workflows.referral.models import CaseStatus
from workflows.referral.workflows import ReferralWorkflow


async def _new_information(case: Handle, actor: a.Actor = OFFICER) -> CaseStatus:
    news = a.NewInformationInput(actor=actor, summary="The school reports new online contacts.")
    status: CaseStatus = await case.execute_update(ReferralWorkflow.add_information, news)
    assert status.stage is Stage.GATEWAY_ASSESSMENT
    return status


async def _outcome(case: Handle, outcome: GatewayOutcome) -> CaseStatus:
    status: CaseStatus = await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(outcome)
    )
    return status


async def test_during_support_no_further_action_lets_support_go_on(harness: Harness) -> None:
    case = await _into_support(harness, BEFORE)
    assert "add_information" in (await harness.status(case)).allowed_actions
    await _new_information(case, CHAIR)
    await harness.wait_for_event(case, "assessment.reassessment_started")

    status = await _outcome(case, GatewayOutcome.NO_FURTHER_ACTION)
    assert (status.stage, status.plan_revision) == (Stage.SUPPORT_ACTIVE, 1)
    assert "support_review_due" in status.due
    # Consent is still in force: the person may still withdraw it.
    assert "withdraw_consent" in status.allowed_actions


async def test_during_support_a_referral_back_to_channel_goes_before_the_panel_again(
    harness: Harness,
) -> None:
    case = await _into_support(harness, BEFORE)
    await _new_information(case)
    status = await _outcome(case, GatewayOutcome.REFERRED_TO_CHANNEL)
    assert status.stage is Stage.CONSENT_PENDING
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    status = await case.execute_update(ReferralWorkflow.record_consent, b.consent())
    assert status.stage is Stage.PANEL_CONSIDERATION  # not straight back into support


async def test_during_support_the_local_authoritys_referral_goes_before_the_panel_again(
    harness: Harness,
) -> None:
    case = await _into_support(harness, BEFORE)
    await _new_information(case)
    referral = a.ChannelReferralInput(actor=CHAIR, reasons="Known to children's services.")
    status = await case.execute_update(ReferralWorkflow.refer_to_channel, referral)
    assert status.stage is Stage.CONSENT_PENDING
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    status = await case.execute_update(ReferralWorkflow.record_consent, b.consent())
    assert status.stage is Stage.PANEL_CONSIDERATION  # as the police's referral: panel first


async def test_after_exit_the_post_exit_reviews_keep_their_dates(harness: Harness) -> None:
    case = await _into_support(harness, BEFORE)
    exit_review = b.review(ReviewDecision.EXIT)
    before = await case.execute_update(ReferralWorkflow.record_support_review, exit_review)
    await harness.advance(case, 40)
    status = await _new_information(case)
    assert not any(name.startswith("post_exit") for name in status.due)
    # The reviews keep their dates while the police reassess, but none may be recorded.
    assert [(r.months, r.open) for r in status.post_exit_reviews] == [(6, False), (12, False)]

    status = await _outcome(case, GatewayOutcome.NO_FURTHER_ACTION)
    assert status.stage is Stage.POST_EXIT_REVIEW
    assert status.due == before.due

    await _new_information(case)
    status = await _outcome(case, GatewayOutcome.POLICE_LED)
    assert status.stage is Stage.POLICE_LED
