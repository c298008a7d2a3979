"""A step costs one activity call whatever it publishes; due dates cost no server round trip."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent

from safeguard.audit.payloads import decoded_history
from safeguard.audit.timeline import timeline
from safeguard.codes import GatewayOutcome
from tests.workflow import builders as b
from tests.workflow.conftest import OFFICER, Handle, Harness
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow

# Where a new step begins in the history: a human step (an update) or an alarm (a timer).
_STEP_STARTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_TIMER_FIRED,
}


async def _history(case: Handle) -> list[HistoryEvent]:
    return list((await case.fetch_history()).events)


def activities_per_step(events: list[HistoryEvent]) -> list[list[str]]:
    """The activities each step scheduled, opening first (steps run one at a time here)."""
    steps: list[list[str]] = [[]]
    for event in events:
        if event.event_type in _STEP_STARTS:
            steps.append([])
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            steps[-1].append(name)
    return steps


def local_activity_markers(events: list[HistoryEvent]) -> int:
    return sum(
        1
        for event in events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    )


async def test_a_step_publishes_all_its_events_in_one_activity_call(harness: Harness) -> None:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.NO_FURTHER_ACTION)
    )

    # Opening (its due dates and `referral.submitted`), then the outcome and the closure.
    assert activities_per_step(await _history(case)) == [["record_events"], ["record_events"]]
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

    history = await _history(case)
    assert activities_per_step(history) == [["record_events"]] * 3
    assert local_activity_markers(history) == 2  # at opening and at the reassessment
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

    entries = timeline([list(history.events)])
    assert [(entry.kind, entry.events) for entry in entries] == [
        ("opened", ["referral.submitted"]),
        ("decision", ["assessment.recorded", "case.closed"]),
    ]
    assert (entries[1].stage_before, entries[1].stage_after) == ("GATEWAY_ASSESSMENT", "CLOSED")
