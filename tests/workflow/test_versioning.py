"""Cases started under earlier code keep running after the workflow changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from safeguard.settings import Settings
from safeguard.temporal import data_converter_for
from tests.workflow.conftest import OFFICER, Harness
from tests.workflow.record_history import JOURNEYS
from workflows.referral import actions as a
from workflows.referral.worker import SANDBOX
from workflows.referral.workflows import (
    LIGHT_STEPS,
    TRANSFER_ACCEPTED_BY_RECEIVER,
    ReferralWorkflow,
)

# Histories recorded by `tests/workflow/record_history.py` before each command-changing release.
HISTORIES = {
    path.stem: path.read_text()
    for path in sorted((Path(__file__).parent / "histories").glob("*.json"))
}


@pytest.mark.parametrize("name", sorted(HISTORIES))
async def test_history_recorded_with_earlier_code_replays_on_current_code(name: str) -> None:
    history = WorkflowHistory.from_json(name, HISTORIES[name])
    replayer = Replayer(
        workflows=[ReferralWorkflow],
        data_converter=data_converter_for(Settings(environment="test")),
        workflow_runner=SANDBOX,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None


def test_every_main_path_has_a_recorded_history() -> None:
    # A path with no recording could change its commands and break its running cases unseen.
    recorded = {name.rsplit("_v", 1)[0] for name in HISTORIES}
    assert set(JOURNEYS) <= recorded


async def test_new_cases_take_the_new_branches(harness: Harness) -> None:
    case = await harness.start()
    history = await case.fetch_history()
    patches = [
        event.SerializeToString()
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_patch"
    ]
    # The opening is one workflow task since v4, so the earlier patch is no longer asked.
    assert len(patches) == 1
    assert LIGHT_STEPS.encode() in patches[0]
    upserts = [
        event
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    # One for the patch (the SDK notes it in TemporalChangeVersion), one for the stage.
    assert len(upserts) == 2


async def test_a_new_transfer_takes_the_branch_that_waits_for_acceptance(
    harness: Harness,
) -> None:
    case = await harness.start()
    transfer = a.TransferInput(actor=OFFICER, to_area="W06000015", reason="Family moved.")
    status = await case.execute_update(ReferralWorkflow.transfer_case, transfer)
    assert status.area == "E09000033" and status.pending_transfer is not None
    history = await case.fetch_history()
    markers = [
        event.SerializeToString()
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    assert any(TRANSFER_ACCEPTED_BY_RECEIVER.encode() in marker for marker in markers)
