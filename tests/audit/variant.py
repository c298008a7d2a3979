"""Histories the current code does not reproduce: a deliberately non-deterministic
`ReferralWorkflow` (it waits before opening the case), and a recorded history edited.

Registered under the same name, the variant issues a timer the recorded histories never had,
so a replay of any of them against it must fail.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from workflows.referral.models import ReferralWorkflowInput
from workflows.referral.workflows import ReferralWorkflow


@workflow.defn(name="ReferralWorkflow")
class ReferralWorkflowWithExtraTimer(ReferralWorkflow):
    """The current workflow with one more command at the start."""

    @workflow.run
    async def run(self, input: ReferralWorkflowInput) -> None:
        """Sleep a second, then run the case as before."""
        await workflow.sleep(timedelta(seconds=1))
        await super().run(input)


JOURNEY = Path(__file__).parent.parent / "workflow" / "histories" / "journey_v1.json"


def journeys(count: int, *, edited: int) -> list[WorkflowHistory]:
    """The recorded journey as `count` cases (its payloads predate binding them to a workflow
    id, so any id decrypts them); in case `edited` the first activity scheduled is renamed,
    which the current code cannot reproduce."""
    text = JOURNEY.read_text()
    runs = [WorkflowHistory.from_json(f"referral-bulk-{n}", text) for n in range(count)]
    scheduled = next(
        event
        for event in runs[edited].events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    )
    scheduled.activity_task_scheduled_event_attributes.activity_type.name = "record_event_v0"
    return runs
