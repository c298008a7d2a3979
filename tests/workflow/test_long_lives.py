"""Long lives: continue-as-new, transfer with search attributes, encrypted histories."""

from __future__ import annotations

import base64

from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent

from safeguard.codec import ENCODING
from safeguard.codes import GatewayOutcome, ReviewDecision, Stage
from safeguard.temporal import CASE_AREA, CASE_STAGE, REFERRAL_REFERENCE
from tests.helpers import assert_eventually
from tests.workflow import builders as b
from tests.workflow.conftest import CHAIR, MINOR_DOB, Harness
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow


async def test_continue_as_new_carries_the_case_across_runs(harness: Harness) -> None:
    case = await harness.start(history_limit=60)
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    )
    latest = harness.client.get_workflow_handle(case.id)  # follows the chain of runs
    await latest.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    await latest.execute_update(ReferralWorkflow.record_consent, b.consent())
    await latest.execute_update(ReferralWorkflow.record_panel_decision, b.adopt())
    for _ in range(8):
        revise = b.review(ReviewDecision.REVISE, plan=b.plan())
        await latest.execute_update(ReferralWorkflow.record_support_review, revise)
    runs = [run async for run in harness.client.list_workflows(f"WorkflowId = '{case.id}'")]
    assert len(runs) >= 2
    status = await latest.query(ReferralWorkflow.status)
    assert (status.stage, status.plan_revision, status.decisions) == (Stage.SUPPORT_ACTIVE, 9, 12)
    assert "support_review_due" in status.due


async def test_transfer_moves_the_case_and_its_search_attributes(harness: Harness) -> None:
    case = await harness.start()
    transfer = a.TransferInput(actor=CHAIR, to_area="W06000015", reason="Family moved to Cardiff.")
    asked = await case.execute_update(ReferralWorkflow.transfer_case, transfer)
    assert asked.area == "E09000033"  # until Cardiff accepts
    cardiff = a.Actor(id="chair-12", role=CHAIR.role, areas=("W06000015",))
    accept = a.AcceptTransferInput(actor=cardiff)
    status = await case.execute_update(ReferralWorkflow.accept_transfer, accept)
    assert (status.stage, status.area) == (Stage.GATEWAY_ASSESSMENT, "W06000015")
    event = harness.payloads(case, "case.transferred")[0]
    assert (event["from_area"], event["to_area"]) == ("E09000033", "W06000015")

    async def attributes() -> tuple[object, ...]:
        found = (await case.describe()).typed_search_attributes
        return (found.get(CASE_AREA), found.get(CASE_STAGE), found.get(REFERRAL_REFERENCE))

    expected = ("W06000015", "GATEWAY_ASSESSMENT", case.id.split("-", 1)[1].rsplit("-", 1)[0])
    await assert_eventually(attributes, lambda found: found == expected)


async def test_history_holds_no_personal_data_in_plain_text(harness: Harness) -> None:
    case = await harness.start(dob=MINOR_DOB)
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )
    history = await case.fetch_history()  # as the server stores it: payloads not decoded
    stored = history.to_json()
    secrets = [MINOR_DOB.isoformat(), "Concerning online activity", "PNC and local intelligence"]
    assert not [secret for secret in secrets if secret in stored]
    assert base64.b64encode(ENCODING).decode() in stored
    # The same history, decoded with the key, does hold them: the check above can fail.
    codec = harness.client.data_converter.payload_codec
    assert codec is not None
    decoded = [
        payload.data.decode()
        for event in history.events
        for payload in await codec.decode(_payloads(event))
    ]
    assert all(any(secret in text for text in decoded) for secret in secrets)


def _payloads(event: HistoryEvent) -> list[Payload]:
    started = event.workflow_execution_started_event_attributes.input.payloads
    accepted = event.workflow_execution_update_accepted_event_attributes
    return [*started, *accepted.accepted_request.input.args.payloads]
