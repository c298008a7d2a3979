"""Every update sent in a stage that does not admit it is refused with `WrongStage`.

The stages each update belongs to are written out here by hand, from the Channel duty guidance
and the lifecycle in the domain notes, not read from `rules.RULES`: a rule that let a panel
decision through while consent is pending must fail this test, not change it. A case is driven
through every stage under each consent policy, and at each stage every update the table says is
out of place is sent for real."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from safeguard.codes import (
    ConsentDecision,
    ConsentPolicy,
    GatewayOutcome,
    RefusalReassessment,
    ReviewDecision,
    Stage,
)
from safeguard.policy import LifecyclePolicy
from tests.workflow import builders as b
from tests.workflow.conftest import CHAIR, OFFICER, Handle, Harness
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow

S = Stage
OPEN = {
    S.GATEWAY_ASSESSMENT,
    S.POLICE_LED,
    S.CONSENT_PENDING,
    S.CONSENT_REFUSED,
    S.PANEL_CONSIDERATION,
    S.SUPPORT_ACTIVE,
    S.POST_EXIT_REVIEW,
}
# Where each update belongs; everywhere else it is out of place.
ADMITTED: dict[str, set[Stage]] = {
    "record_gateway_assessment": {S.GATEWAY_ASSESSMENT},
    "refer_to_channel": {S.GATEWAY_ASSESSMENT},
    "record_police_review": {S.POLICE_LED},
    "add_information": OPEN - {S.GATEWAY_ASSESSMENT},
    "request_consent": {S.CONSENT_PENDING},
    "record_consent": {S.CONSENT_PENDING},
    "withdraw_consent": {S.PANEL_CONSIDERATION, S.SUPPORT_ACTIVE},
    "reassess_after_refusal": {S.CONSENT_REFUSED},
    "set_reassessment_period": {S.CONSENT_REFUSED},
    "record_panel_decision": {S.PANEL_CONSIDERATION},
    "revise_support_plan": {S.SUPPORT_ACTIVE},
    "record_support_review": {S.SUPPORT_ACTIVE},
    "record_post_exit_review": {S.POST_EXIT_REVIEW},
    "transfer_case": OPEN,
    "accept_transfer": OPEN,
    "decline_transfer": OPEN,
    "withdraw_transfer": OPEN,
    "set_area": OPEN,
}
NOTES = "Out of place."
INPUTS: dict[str, Any] = {
    "record_gateway_assessment": b.gateway(GatewayOutcome.NO_FURTHER_ACTION),
    "refer_to_channel": a.ChannelReferralInput(actor=CHAIR, reasons=NOTES),
    "record_police_review": a.PoliceReviewInput(actor=OFFICER, decision="close", notes=NOTES),
    "add_information": a.NewInformationInput(actor=OFFICER, summary=NOTES),
    "request_consent": b.request_consent(),
    "record_consent": b.consent(),
    "withdraw_consent": a.WithdrawConsentInput(actor=CHAIR),
    "reassess_after_refusal": a.RefusalReassessmentInput(
        actor=CHAIR, decision=RefusalReassessment.CLOSE, notes=NOTES
    ),
    "set_reassessment_period": a.ReassessmentPeriodInput(actor=CHAIR, days=30),
    "record_panel_decision": b.adopt(),
    "revise_support_plan": b.plan(),
    "record_support_review": b.review(ReviewDecision.CONTINUE),
    "record_post_exit_review": b.post_exit(6),
    "transfer_case": a.TransferInput(actor=OFFICER, to_area="W06000015", reason=NOTES),
    "accept_transfer": a.AcceptTransferInput(actor=OFFICER),
    "decline_transfer": a.DeclineTransferInput(actor=OFFICER, reason=NOTES),
    "withdraw_transfer": a.WithdrawTransferInput(actor=OFFICER),
    "set_area": a.SetAreaInput(actor=OFFICER, area="E09000033"),
}


def test_the_table_names_every_update() -> None:
    # The SDK's own reading of the class: a new update must find its place in the table.
    updates = workflow._Definition.must_from_class(ReferralWorkflow).updates
    assert set(updates) == set(ADMITTED) == set(INPUTS)


async def _all_out_of_place_refused(case: Handle, stage: Stage) -> set[str]:
    """Send each update the table puts elsewhere; the ones not refused with WrongStage."""
    status = await case.query(ReferralWorkflow.status)
    assert status.stage is stage
    wrong = set()
    for name, stages in ADMITTED.items():
        if stage in stages:
            continue
        try:
            await case.execute_update(getattr(ReferralWorkflow, name), INPUTS[name])
        except WorkflowUpdateFailedError as failure:
            cause = failure.cause
            if isinstance(cause, ApplicationError) and cause.type == "WrongStage":
                continue
        wrong.add(name)
    return wrong


async def _update(case: Handle, name: str, inp: Any) -> None:
    await case.execute_update(getattr(ReferralWorkflow, name), inp)


async def _post_exit(harness: Harness, case: Handle) -> dict[Stage, set[str]]:
    """From support to exit, its reviews and closure."""
    found = {S.SUPPORT_ACTIVE: await _all_out_of_place_refused(case, S.SUPPORT_ACTIVE)}
    await _update(case, "record_support_review", b.review(ReviewDecision.EXIT))
    found[S.POST_EXIT_REVIEW] = await _all_out_of_place_refused(case, S.POST_EXIT_REVIEW)
    for months in (6, 12):
        await harness.advance(case, 190)
        await _update(case, "record_post_exit_review", b.post_exit(months))
    found[S.CLOSED] = await _all_out_of_place_refused(case, S.CLOSED)
    return found


async def _refused_then_consented(case: Handle) -> dict[Stage, set[str]]:
    await _update(case, "request_consent", b.request_consent())
    await _update(case, "record_consent", b.consent(ConsentDecision.REFUSED))
    found = {S.CONSENT_REFUSED: await _all_out_of_place_refused(case, S.CONSENT_REFUSED)}
    again = a.RefusalReassessmentInput(
        actor=CHAIR, decision=RefusalReassessment.REQUEST_CONSENT_AGAIN, notes=NOTES
    )
    await _update(case, "reassess_after_refusal", again)
    await _update(case, "request_consent", b.request_consent())
    await _update(case, "record_consent", b.consent())
    return found


async def _before_panel(harness: Harness, case: Handle) -> dict[Stage, set[str]]:
    found = {S.CONSENT_PENDING: await _all_out_of_place_refused(case, S.CONSENT_PENDING)}
    found |= await _refused_then_consented(case)
    found[S.PANEL_CONSIDERATION] = await _all_out_of_place_refused(case, S.PANEL_CONSIDERATION)
    await _update(case, "record_panel_decision", b.adopt())
    return found | await _post_exit(harness, case)


async def _after_adoption(harness: Harness, case: Handle) -> dict[Stage, set[str]]:
    found = {S.PANEL_CONSIDERATION: await _all_out_of_place_refused(case, S.PANEL_CONSIDERATION)}
    await _update(case, "record_panel_decision", b.adopt())
    found[S.CONSENT_PENDING] = await _all_out_of_place_refused(case, S.CONSENT_PENDING)
    found |= await _refused_then_consented(case)
    return found | await _post_exit(harness, case)


@pytest.mark.parametrize("policy", list(ConsentPolicy))
async def test_every_update_out_of_its_stage_is_refused(
    harness: Harness, policy: ConsentPolicy
) -> None:
    case = await harness.start(policy=LifecyclePolicy(consent_policy=policy))
    found = {S.GATEWAY_ASSESSMENT: await _all_out_of_place_refused(case, S.GATEWAY_ASSESSMENT)}
    channel = b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    await _update(case, "record_gateway_assessment", channel)
    drive = _before_panel if policy is ConsentPolicy.BEFORE_PANEL else _after_adoption
    found |= await drive(harness, case)
    police = await harness.start(policy=LifecyclePolicy(consent_policy=policy))
    await _update(police, "record_gateway_assessment", b.gateway(GatewayOutcome.POLICE_LED))
    found[S.POLICE_LED] = await _all_out_of_place_refused(police, S.POLICE_LED)
    assert set(found) == OPEN | {S.CLOSED}
    assert {stage: names for stage, names in found.items() if names} == {}
