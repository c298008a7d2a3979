"""Placing a case whose area was not known: an officer's update, never a transfer."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from safeguard.codes import UNASSIGNED_AREA, Stage
from safeguard.temporal import CASE_AREA
from tests.helpers import assert_eventually
from tests.workflow.conftest import CHAIR, OFFICER, Handle, Harness
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow

PLACE = a.SetAreaInput(actor=OFFICER, area="E08000003")


async def _rejection(case: Handle, inp: a.SetAreaInput) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await case.execute_update(ReferralWorkflow.set_area, inp)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_an_officer_places_an_unassigned_case(harness: Harness) -> None:
    case = await harness.start(area=UNASSIGNED_AREA)
    assert "set_area" in (await harness.status(case)).allowed_actions
    status = await case.execute_update(ReferralWorkflow.set_area, PLACE)
    assert (status.stage, status.area) == (Stage.GATEWAY_ASSESSMENT, "E08000003")
    assert "set_area" not in status.allowed_actions
    # The assessment's timers are untouched: the due date is the one intake's case started with.
    assert "assessment_overdue" in status.due
    [decision] = await case.query(ReferralWorkflow.decisions)
    assert (decision.action, decision.actor_id, decision.detail) == (
        "set_area",
        OFFICER.id,
        {"area": "E08000003"},
    )
    await harness.wait_for_event(case, "case.area_set")
    [event] = harness.payloads(case, "case.area_set")
    assert (event["area"], event["actor_role"]) == ("E08000003", "prevent_officer")
    assert "case.transferred" not in harness.events(case)

    async def area_attribute() -> object:
        return (await case.describe()).typed_search_attributes.get(CASE_AREA)

    await assert_eventually(area_attribute, lambda area: area == "E08000003")


async def test_a_case_with_an_area_is_a_conflict(harness: Harness) -> None:
    case = await harness.start()  # in E09000033
    assert "set_area" not in (await harness.status(case)).allowed_actions
    error = await _rejection(case, PLACE)
    assert error.type == "Conflict"
    assert "already has an area" in error.message
    assert (await harness.status(case)).area == "E09000033"


async def test_only_an_officer_places_and_only_in_a_real_area(harness: Harness) -> None:
    case = await harness.start(area=UNASSIGNED_AREA)
    as_chair = await _rejection(case, PLACE.model_copy(update={"actor": CHAIR}))
    assert as_chair.type == "NotPermitted"
    nowhere = await _rejection(case, PLACE.model_copy(update={"area": UNASSIGNED_AREA}))
    assert nowhere.type == "InvalidContent"
    assert (await harness.status(case)).decisions == 0
