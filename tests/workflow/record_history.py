"""Record each main path's history with the code as it is now, for the versioning test.

    .venv/bin/python -m tests.workflow.record_history tests/workflow/histories/NAME.json [JOURNEY]

JOURNEY is one of `JOURNEYS` (default `channel`): each main path a case takes, from referral to
the end of its retention. Run it for every journey before changing the workflow in a way that
alters its commands, and commit the files: each recorded history must keep replaying.
Payloads are encrypted with the development key, and every value in them is synthetic.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio import activity
from temporalio.worker import Worker

from safeguard.codes import (
    ConsentDecision,
    ConsentPolicy,
    GatewayOutcome,
    RefusalReassessment,
    ReviewDecision,
    Role,
)
from safeguard.policy import LifecyclePolicy
from tests.temporal_server import start_time_skipping_server
from tests.workflow import builders as b
from tests.workflow.conftest import CHAIR, OFFICER, Handle, Harness
from workflows.referral import actions as a
from workflows.referral.activities import assessment_due
from workflows.referral.models import RecordEventInput, RecordEventsInput
from workflows.referral.worker import SANDBOX
from workflows.referral.workflows import ReferralWorkflow


@activity.defn(name="record_event")
async def _record_event(input: RecordEventInput) -> None:
    """Events go nowhere while recording."""


@activity.defn(name="record_events")
async def _record_events(input: RecordEventsInput) -> None:
    """Events go nowhere while recording."""


async def _journey(harness: Harness) -> str:
    case = await harness.start(policy=LifecyclePolicy(consent_policy=ConsentPolicy.BEFORE_PANEL))
    gateway = b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    await case.execute_update(ReferralWorkflow.record_gateway_assessment, gateway)
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    await case.execute_update(ReferralWorkflow.record_consent, b.consent())
    await case.execute_update(ReferralWorkflow.record_panel_decision, b.adopt())
    await harness.advance(case, 31)
    await case.execute_update(ReferralWorkflow.record_support_review, b.review(ReviewDecision.EXIT))
    await harness.advance(case, 190)
    await case.execute_update(ReferralWorkflow.record_post_exit_review, b.post_exit(6))
    await harness.advance(case, 190)
    await case.execute_update(ReferralWorkflow.record_post_exit_review, b.post_exit(12))
    await harness.advance(case, 6 * 366)
    await case.result()
    return (await case.fetch_history()).to_json()


async def _transfer_journey(harness: Harness) -> str:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.POLICE_LED)
    )
    transfer = a.TransferInput(actor=OFFICER, to_area="W06000015", reason="Family moved.")
    await case.execute_update(ReferralWorkflow.transfer_case, transfer)
    close = a.PoliceReviewInput(actor=OFFICER, decision="close", notes="Settled in Cardiff.")
    await case.execute_update(ReferralWorkflow.record_police_review, close)
    await harness.advance(case, 7 * 366)
    await case.result()
    return (await case.fetch_history()).to_json()


async def _reassess_journey(harness: Harness) -> str:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.POLICE_LED)
    )
    await harness.advance(case, 10)
    news = a.NewInformationInput(actor=OFFICER, summary="The school reports new contacts.")
    await case.execute_update(ReferralWorkflow.add_information, news)
    await harness.advance(case, 8)  # past the reassessment's reminder and due date
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )
    await harness.advance(case, 7 * 366)
    await case.result()
    return (await case.fetch_history()).to_json()


RETENTION_DAYS = 7 * 366  # past every outcome's retention, so the case redacts and ends


async def _to_the_end(harness: Harness, case: Handle) -> str:
    await harness.advance(case, RETENTION_DAYS)
    await case.result()
    return (await case.fetch_history()).to_json()


async def _no_further_action(harness: Harness) -> str:
    case = await harness.start()
    nfa = b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    await case.execute_update(ReferralWorkflow.record_gateway_assessment, nfa)
    return await _to_the_end(harness, case)


async def _police_led(harness: Harness) -> str:
    case = await harness.start()
    led = b.gateway(GatewayOutcome.POLICE_LED)
    await case.execute_update(ReferralWorkflow.record_gateway_assessment, led)
    await harness.advance(case, 40)  # past the police review's due date: its timers fire
    close = a.PoliceReviewInput(actor=OFFICER, decision="close", notes="Risk now managed.")
    await case.execute_update(ReferralWorkflow.record_police_review, close)
    return await _to_the_end(harness, case)


async def _supported_then_reviewed(harness: Harness, case: Handle) -> str:
    await case.execute_update(ReferralWorkflow.record_support_review, b.review(ReviewDecision.EXIT))
    await harness.advance(case, 190)
    await case.execute_update(ReferralWorkflow.record_post_exit_review, b.post_exit(6))
    await harness.advance(case, 190)
    await case.execute_update(ReferralWorkflow.record_post_exit_review, b.post_exit(12))
    return await _to_the_end(harness, case)


async def _channel_after_adoption(harness: Harness) -> str:
    policy = LifecyclePolicy(consent_policy=ConsentPolicy.AFTER_ADOPTION)
    case = await harness.start(policy=policy)
    channel = b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    await case.execute_update(ReferralWorkflow.record_gateway_assessment, channel)
    await case.execute_update(ReferralWorkflow.record_panel_decision, b.adopt())
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    await case.execute_update(ReferralWorkflow.record_consent, b.consent())
    await harness.advance(case, 31)
    return await _supported_then_reviewed(harness, case)


async def _refusal_and_reassessment(harness: Harness) -> str:
    policy = LifecyclePolicy(consent_policy=ConsentPolicy.BEFORE_PANEL)
    case = await harness.start(policy=policy)
    channel = b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    await case.execute_update(ReferralWorkflow.record_gateway_assessment, channel)
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    refused = b.consent(ConsentDecision.REFUSED)
    await case.execute_update(ReferralWorkflow.record_consent, refused)
    await harness.advance(case, 91)  # the reassessment falls due
    again = a.RefusalReassessmentInput(
        actor=CHAIR,
        decision=RefusalReassessment.REQUEST_CONSENT_AGAIN,
        notes="Family now willing to talk.",
    )
    await case.execute_update(ReferralWorkflow.reassess_after_refusal, again)
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    await case.execute_update(ReferralWorkflow.record_consent, b.consent())
    await case.execute_update(ReferralWorkflow.record_panel_decision, b.adopt())
    await harness.advance(case, 31)
    return await _supported_then_reviewed(harness, case)


async def _accepted_transfer(harness: Harness) -> str:
    case = await harness.start()
    led = b.gateway(GatewayOutcome.POLICE_LED)
    await case.execute_update(ReferralWorkflow.record_gateway_assessment, led)
    transfer = a.TransferInput(actor=OFFICER, to_area=RECEIVING, reason="Family moved.")
    await case.execute_update(ReferralWorkflow.transfer_case, transfer)
    await case.execute_update(
        ReferralWorkflow.accept_transfer, a.AcceptTransferInput(actor=RECEIVER)
    )
    close = a.PoliceReviewInput(actor=RECEIVER, decision="close", notes="Settled in Cardiff.")
    await case.execute_update(ReferralWorkflow.record_police_review, close)
    return await _to_the_end(harness, case)


RECEIVING = "W06000015"
RECEIVER = a.Actor(id="officer-40", role=Role.PREVENT_OFFICER, areas=(RECEIVING,))

# Each main path a case takes; `channel` and `transfer` are the paths of the first recordings.
JOURNEYS: dict[str, Callable[[Harness], Awaitable[str]]] = {
    "channel": _journey,
    "transfer": _transfer_journey,
    "no_further_action": _no_further_action,
    "police_led": _police_led,
    "channel_after_adoption": _channel_after_adoption,
    "refusal_and_reassessment": _refusal_and_reassessment,
    "accepted_transfer": _accepted_transfer,
    "reassess": _reassess_journey,
}


async def main(journey: str = "channel") -> str:
    """Run the journey on a throwaway dev server and return its history as JSON."""
    env = await start_time_skipping_server()
    async with env:
        harness = Harness(env.client, env, f"record-{uuid.uuid4().hex[:8]}")
        async with Worker(
            env.client,
            task_queue=harness.task_queue,
            workflows=[ReferralWorkflow],
            activities=[_record_event, _record_events, assessment_due],
            workflow_runner=SANDBOX,
        ):
            return await JOURNEYS[journey](harness)


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(asyncio.run(main(*sys.argv[2:3])))
