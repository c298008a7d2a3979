"""The local authority's own steps: referring to Channel (since 2019) and choosing when a case
without consent is reassessed."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from safeguard.codes import ConsentDecision, GatewayOutcome, Role, Stage
from tests.workflow import builders as b
from tests.workflow.conftest import CHAIR, OFFICER, Handle, Harness
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow

REFERRAL = a.ChannelReferralInput(actor=CHAIR, reasons="Known to children's services; at risk.")


async def _refused(harness: Harness) -> Handle:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    )
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    await case.execute_update(ReferralWorkflow.record_consent, b.consent(ConsentDecision.REFUSED))
    return case


async def test_the_local_authority_refers_a_case_to_channel(harness: Harness) -> None:
    case = await harness.start()
    status = await case.execute_update(ReferralWorkflow.refer_to_channel, REFERRAL)
    assert status.stage is Stage.CONSENT_PENDING
    recorded = harness.payloads(case, "assessment.recorded")[-1]
    assert (recorded["outcome"], recorded["actor_role"]) == ("REFERRED_TO_CHANNEL", "channel_chair")
    decision = (await case.query(ReferralWorkflow.decisions))[-1]
    assert (decision.action, decision.actor_role) == ("refer_to_channel", Role.CHANNEL_CHAIR)


async def test_the_police_refer_through_their_gateway_assessment(harness: Harness) -> None:
    case = await harness.start()
    as_officer = REFERRAL.model_copy(update={"actor": OFFICER})
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await case.execute_update(ReferralWorkflow.refer_to_channel, as_officer)
    assert isinstance(failure.value.cause, ApplicationError)
    assert failure.value.cause.type == "NotPermitted"


async def test_the_panel_chooses_when_it_reassesses(harness: Harness) -> None:
    case = await _refused(harness)
    default = (await harness.status(case)).due["consent_reassessment_due"]
    period = a.ReassessmentPeriodInput(actor=CHAIR, days=30)
    status = await case.execute_update(ReferralWorkflow.set_reassessment_period, period)
    chosen = status.due["consent_reassessment_due"]
    assert default - chosen == dt.timedelta(days=60)  # the deployment's 90 days, then 30
    scheduled = harness.payloads(case, "consent.reassessment_scheduled")
    assert [p["days"] for p in scheduled] == [30]
    await harness.advance(case, 31)
    await harness.wait_for_event(case, "consent.reassessment_due")


async def test_a_period_already_past_is_refused(harness: Harness) -> None:
    case = await _refused(harness)
    await harness.advance(case, 10)
    await harness.wait_for_stage(case, Stage.CONSENT_REFUSED)
    too_short = a.ReassessmentPeriodInput(actor=CHAIR, days=5)
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await case.execute_update(ReferralWorkflow.set_reassessment_period, too_short)
    assert isinstance(failure.value.cause, ApplicationError)
    assert failure.value.cause.type == "InvalidContent"
