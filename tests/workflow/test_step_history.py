"""A step costs one local activity whatever it publishes; due dates cost no round trip either."""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent

from safeguard.audit.payloads import decoded_history
from safeguard.audit.timeline import timeline
from safeguard.codes import GatewayOutcome
from tests.workflow import builders as b
from tests.workflow.conftest import OFFICER, Handle, Harness
from workflows.referral import actions as a
from workflows.referral.actions import PERSONAL_FIELDS
from workflows.referral.workflows import ReferralWorkflow

# Where a new step begins in the history: a human step (an update) or an alarm (a timer).
_STEP_STARTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_TIMER_FIRED,
}


async def _history(case: Handle) -> list[HistoryEvent]:
    return list((await case.fetch_history()).events)


def calls_per_step(events: list[HistoryEvent]) -> list[list[str]]:
    """The activities each step ran, opening first: `local:` for a local activity (a marker in
    the history), `server:` for one scheduled through the server (steps run one at a time)."""
    steps: list[list[str]] = [[]]
    for event in events:
        if event.event_type in _STEP_STARTS:
            steps.append([])
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            steps[-1].append(f"server:{name}")
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == "core_local_activity":
                data = json.loads(marker.details["data"].payloads[0].data)
                steps[-1].append(f"local:{data['activity_type']}")
    return steps


async def test_a_step_publishes_all_its_events_in_one_activity_call(harness: Harness) -> None:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )

    # Opening (its due dates and `referral.submitted`), then the outcome and the closure.
    assert calls_per_step(await _history(case)) == [
        ["local:assessment_due", "local:record_events"],
        ["local:record_events"],
    ]
    assert harness.batches == [1, 2]
    assert harness.events(case) == ["referral.submitted", "assessment.recorded", "case.closed"]
    ids = [envelope.id for envelope in harness.sink]
    assert len(set(ids)) == len(ids)


async def test_due_dates_are_worked_out_without_a_round_trip_through_the_server(
    harness: Harness,
) -> None:
    case = await harness.start()
    opened = await harness.status(case)
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.POLICE_LED)
    )
    news = a.NewInformationInput(actor=OFFICER, summary="The school reports new contacts.")
    reassessed = await case.execute_update(ReferralWorkflow.add_information, news)

    assert calls_per_step(await _history(case)) == [
        ["local:assessment_due", "local:record_events"],
        ["local:record_events"],
        ["local:assessment_due", "local:record_events"],
    ]
    assert reassessed.due["assessment_overdue"] > opened.due["assessment_overdue"]


async def test_the_timeline_names_every_event_a_step_published_in_one_call(
    harness: Harness,
) -> None:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )
    codec = harness.client.data_converter.payload_codec
    assert codec is not None
    history = await decoded_history(History(events=await _history(case)), codec)

    entries = timeline([list(history.events)], PERSONAL_FIELDS)
    assert [(entry.kind, entry.events) for entry in entries] == [
        ("opened", ["referral.submitted"]),
        ("decision", ["assessment.recorded", "case.closed"]),
    ]
    assert (entries[1].stage_before, entries[1].stage_after) == ("GATEWAY_ASSESSMENT", "CLOSED")
