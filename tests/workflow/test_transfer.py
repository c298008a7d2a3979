"""Transfers: the sending area asks, the receiving area accepts or declines, the sender may
withdraw; the case moves, with its whole history, only when the receiving area accepts."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from safeguard.codes import GatewayOutcome, Role, Stage
from safeguard.temporal import CASE_AREA
from tests.helpers import assert_eventually, personal_left
from tests.workflow import builders as b
from tests.workflow.conftest import Handle, Harness
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow

SENDING = "E09000033"  # the harness's area
RECEIVING = "W06000015"
SENDER = a.Actor(id="officer-17", role=Role.PREVENT_OFFICER, areas=(SENDING,))
RECEIVER = a.Actor(id="officer-40", role=Role.PREVENT_OFFICER, areas=(RECEIVING,))
RECEIVING_CHAIR = a.Actor(id="chair-9", role=Role.CHANNEL_CHAIR, areas=(RECEIVING,))
REASON = "The family moved to Cardiff in March."
REQUEST = a.TransferInput(actor=SENDER, to_area=RECEIVING, reason=REASON)
TRANSFER_ACTIONS = {"accept_transfer", "decline_transfer", "withdraw_transfer"}


async def _rejection(case: Handle, update: Any, inp: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await case.execute_update(update, inp)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def _requested(harness: Harness) -> Handle:
    case = await harness.start()
    await case.execute_update(ReferralWorkflow.transfer_case, REQUEST)
    return case


async def test_a_request_waits_for_the_receiving_area_and_the_case_stays(
    harness: Harness,
) -> None:
    case = await harness.start()
    assert TRANSFER_ACTIONS.isdisjoint((await harness.status(case)).allowed_actions)
    status = await case.execute_update(ReferralWorkflow.transfer_case, REQUEST)
    assert (status.stage, status.area) == (Stage.GATEWAY_ASSESSMENT, SENDING)
    assert status.pending_transfer is not None
    assert (status.pending_transfer.to_area, status.pending_transfer.requested_role) == (
        RECEIVING,
        Role.PREVENT_OFFICER,
    )
    assert TRANSFER_ACTIONS <= set(status.allowed_actions)
    assert "transfer_case" not in status.allowed_actions  # one request at a time
    await harness.wait_for_event(case, "case.transfer_requested")
    [event] = harness.payloads(case, "case.transfer_requested")
    assert (event["area"], event["to_area"], event["actor_role"]) == (
        SENDING,
        RECEIVING,
        "prevent_officer",
    )
    # Free text stays in the case: the event carries codes only.
    assert REASON not in str(event) and "reason" not in event
    assert "case.transferred" not in harness.events(case)
    # The sending area still works the case meanwhile.
    police_led = await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.POLICE_LED)
    )
    assert (police_led.stage, police_led.area) == (Stage.POLICE_LED, SENDING)


async def test_a_second_request_and_a_request_to_the_same_area_are_refused(
    harness: Harness,
) -> None:
    case = await harness.start()
    same = await _rejection(
        case, ReferralWorkflow.transfer_case, REQUEST.model_copy(update={"to_area": SENDING})
    )
    assert same.type == "SameArea"
    await case.execute_update(ReferralWorkflow.transfer_case, REQUEST)
    again = REQUEST.model_copy(update={"to_area": "E08000035"})
    second = await _rejection(case, ReferralWorkflow.transfer_case, again)
    assert second.type == "TransferPending"
    assert "already waiting" in second.message
    status = await harness.status(case)
    assert status.pending_transfer is not None and status.pending_transfer.to_area == RECEIVING


async def test_the_receiving_area_accepts_and_the_case_moves_with_its_history(
    harness: Harness,
) -> None:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.POLICE_LED)
    )
    await case.execute_update(ReferralWorkflow.transfer_case, REQUEST)
    accept = a.AcceptTransferInput(actor=RECEIVER)
    status = await case.execute_update(ReferralWorkflow.accept_transfer, accept)
    assert (status.stage, status.area, status.pending_transfer) == (
        Stage.POLICE_LED,
        RECEIVING,
        None,
    )
    assert "police_review_due" in status.due  # timers come along
    assert "transfer_case" in status.allowed_actions
    decisions = await case.query(ReferralWorkflow.decisions)
    assert [d.action for d in decisions] == [
        "record_gateway_assessment",
        "transfer_case",
        "accept_transfer",
    ]
    assert decisions[1].detail["reason"] == REASON
    assert decisions[2].actor_id == RECEIVER.id
    await harness.wait_for_event(case, "case.transferred")
    [moved] = harness.payloads(case, "case.transferred")
    assert (moved["from_area"], moved["to_area"], moved["area"]) == (
        SENDING,
        RECEIVING,
        RECEIVING,
    )

    async def area_attribute() -> object:
        return (await case.describe()).typed_search_attributes.get(CASE_AREA)

    await assert_eventually(area_attribute, lambda area: area == RECEIVING)


async def test_only_the_receiving_area_answers(harness: Harness) -> None:
    case = await _requested(harness)
    for update, inp in (
        (ReferralWorkflow.accept_transfer, a.AcceptTransferInput(actor=SENDER)),
        (ReferralWorkflow.decline_transfer, a.DeclineTransferInput(actor=SENDER, reason="No.")),
    ):
        error = await _rejection(case, update, inp)
        assert error.type == "NotReceivingArea"
    # A chair of the receiving area may accept, as its officers may.
    by_chair = a.AcceptTransferInput(actor=RECEIVING_CHAIR)
    assert (await case.execute_update(ReferralWorkflow.accept_transfer, by_chair)).area == (
        RECEIVING
    )


async def test_a_declined_transfer_leaves_the_case_where_it_was(harness: Harness) -> None:
    case = await _requested(harness)
    decline = a.DeclineTransferInput(actor=RECEIVER, reason="Not resident here after all.")
    status = await case.execute_update(ReferralWorkflow.decline_transfer, decline)
    assert (status.area, status.pending_transfer) == (SENDING, None)
    assert "transfer_case" in status.allowed_actions  # it may be asked again
    await harness.wait_for_event(case, "case.transfer_declined")
    [event] = harness.payloads(case, "case.transfer_declined")
    assert (event["to_area"], event["area"]) == (RECEIVING, SENDING)
    assert "Not resident" not in str(event)
    assert "case.transferred" not in harness.events(case)


async def test_the_sending_area_withdraws_and_only_it_may(harness: Harness) -> None:
    case = await _requested(harness)
    by_receiver = await _rejection(
        case, ReferralWorkflow.withdraw_transfer, a.WithdrawTransferInput(actor=RECEIVER)
    )
    assert by_receiver.type == "NotSendingArea"
    withdraw = a.WithdrawTransferInput(actor=SENDER)
    status = await case.execute_update(ReferralWorkflow.withdraw_transfer, withdraw)
    assert (status.area, status.pending_transfer) == (SENDING, None)
    await harness.wait_for_event(case, "case.transfer_withdrawn")
    late = await _rejection(
        case, ReferralWorkflow.accept_transfer, a.AcceptTransferInput(actor=RECEIVER)
    )
    assert late.type == "NoTransferPending"
    assert (await harness.status(case)).area == SENDING


async def test_nothing_to_answer_without_a_request(harness: Harness) -> None:
    case = await harness.start()
    for update, inp in (
        (ReferralWorkflow.accept_transfer, a.AcceptTransferInput(actor=RECEIVER)),
        (ReferralWorkflow.decline_transfer, a.DeclineTransferInput(actor=RECEIVER, reason="No.")),
        (ReferralWorkflow.withdraw_transfer, a.WithdrawTransferInput(actor=SENDER)),
    ):
        assert (await _rejection(case, update, inp)).type == "NoTransferPending"
    assert (await harness.status(case)).decisions == 0


async def test_a_request_lapses_when_the_case_closes(harness: Harness) -> None:
    case = await _requested(harness)
    closed = await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )
    assert (closed.stage, closed.area, closed.pending_transfer) == (Stage.CLOSED, SENDING, None)
    late = await _rejection(
        case, ReferralWorkflow.accept_transfer, a.AcceptTransferInput(actor=RECEIVER)
    )
    assert late.type == "WrongStage"


async def test_the_reasons_given_for_a_transfer_are_erased_with_the_case(
    harness: Harness,
) -> None:
    case = await _requested(harness)
    decline = a.DeclineTransferInput(actor=RECEIVER, reason="The Jones family is not known here.")
    await case.execute_update(ReferralWorkflow.decline_transfer, decline)
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )
    await harness.advance(case, 3 * 366)
    await case.result()
    decisions = await case.query(ReferralWorkflow.decisions)
    assert [d.action for d in decisions] == [
        "transfer_case",
        "decline_transfer",
        "record_gateway_assessment",
    ]
    assert decisions[0].detail == {"to_area": RECEIVING}
    assert decisions[1].detail == {}
    assert not personal_left([d.model_dump(mode="json") for d in decisions])
