"""A worker running `ReferralWorkflow` with a stand-in event sink, and helpers to drive cases."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from safeguard.codes import Role, Stage
from safeguard.events.envelope import EventEnvelope
from safeguard.policy import LifecyclePolicy
from tests.helpers import assert_eventually
from workflows.referral.actions import Actor
from workflows.referral.activities import assessment_due
from workflows.referral.models import (
    CaseStatus,
    RecordEventInput,
    RecordEventsInput,
    ReferralWorkflowInput,
)
from workflows.referral.worker import SANDBOX
from workflows.referral.workflows import ReferralWorkflow

OFFICER = Actor(id="officer-17", role=Role.PREVENT_OFFICER)
CHAIR = Actor(id="chair-3", role=Role.CHANNEL_CHAIR)
GUARDIAN = Actor(id="guardian-portal", role=Role.PERSON_OR_GUARDIAN)
MINOR_DOB = dt.date(2012, 5, 1)
ADULT_DOB = dt.date(1990, 5, 1)

Handle = WorkflowHandle[ReferralWorkflow, None]


@dataclass
class Harness:
    """Starts cases on a private task queue and reads what they published."""

    client: Client
    env: WorkflowEnvironment
    task_queue: str
    sink: list[EventEnvelope] = field(default_factory=list)
    # How many events each `record_events` call carried, in call order.
    batches: list[int] = field(default_factory=list)
    handles: list[Handle] = field(default_factory=list)
    referral_ids: dict[str, str] = field(default_factory=dict)

    async def start(
        self,
        *,
        policy: LifecyclePolicy | None = None,
        dob: dt.date | None = MINOR_DOB,
        history_limit: int = 5_000,
        area: str = "E09000033",
    ) -> Handle:
        """Start a case as intake would."""
        referral_id = uuid.uuid4()
        reference = f"PRV-2026-{referral_id.int % 1_000_000:06d}"
        handle = await self.client.start_workflow(
            ReferralWorkflow.run,
            ReferralWorkflowInput(
                referral_id=referral_id,
                reference=reference,
                sector="education",
                concern_type="mixed_unclear_unstable",
                received_at=dt.datetime.now(dt.UTC),
                area=area,
                date_of_birth=dob,
                policy=policy or LifecyclePolicy(),
                history_limit=history_limit,
            ),
            id=f"referral-{reference}-{uuid.uuid4().hex[:6]}",
            task_queue=self.task_queue,
        )
        self.handles.append(handle)
        self.referral_ids[handle.id] = str(referral_id)
        await self.wait_for_stage(handle, Stage.GATEWAY_ASSESSMENT)
        return handle

    async def status(self, handle: Handle) -> CaseStatus:
        """The case's status query."""
        return await handle.query(ReferralWorkflow.status)

    async def wait_for_stage(self, handle: Handle, stage: Stage) -> CaseStatus:
        """Wait until the case reaches `stage`."""
        return await assert_eventually(
            lambda: self.status(handle), lambda status: status.stage is stage
        )

    def events(self, handle: Handle) -> list[str]:
        """Types of the events this case published, in order."""
        subject = self.referral_ids[handle.id]
        return [envelope.type for envelope in self.sink if envelope.subject == subject]

    def payloads(self, handle: Handle, event_type: str) -> list[dict[str, Any]]:
        """Data of this case's events of one type."""
        subject = self.referral_ids[handle.id]
        return [e.data for e in self.sink if e.subject == subject and e.type == event_type]

    async def wait_for_event(self, handle: Handle, event_type: str, count: int = 1) -> None:
        """Wait until the case has published `count` events of a type."""

        async def published() -> list[str]:
            return self.events(handle)

        await assert_eventually(published, lambda types: types.count(event_type) >= count)

    async def advance(self, handle: Handle, days: float) -> None:
        """Move the case's virtual clock forward."""
        await self.env.fast_forward(handle, dt.timedelta(days=days))


@pytest.fixture
async def harness(
    temporal_client: Client, temporal_env: WorkflowEnvironment
) -> AsyncIterator[Harness]:
    """A worker for this test only; every history it produced is replayed afterwards."""
    harness = Harness(temporal_client, temporal_env, f"lifecycle-{uuid.uuid4().hex[:8]}")

    @activity.defn(name="record_event")
    async def record_event(input: RecordEventInput) -> None:
        harness.sink.append(input.envelope)

    @activity.defn(name="record_events")
    async def record_events(input: RecordEventsInput) -> RecordEventsInput:
        harness.batches.append(len(input.envelopes))
        harness.sink.extend(input.envelopes)
        return input

    async with Worker(
        temporal_client,
        task_queue=harness.task_queue,
        workflows=[ReferralWorkflow],
        activities=[record_event, record_events, assessment_due],
        workflow_runner=SANDBOX,
    ):
        yield harness
    await replay_all(temporal_client, harness.handles)


async def replay_all(client: Client, handles: list[Handle]) -> None:
    """Replay every run of every case against the current code: it must be deterministic."""
    replayer = Replayer(
        workflows=[ReferralWorkflow], data_converter=client.data_converter, workflow_runner=SANDBOX
    )
    for handle in handles:
        async for execution in client.list_workflows(f"WorkflowId = '{handle.id}'"):
            history = await client.get_workflow_handle(
                execution.id, run_id=execution.run_id
            ).fetch_history()
            await replayer.replay_workflow(history)
