"""The worker process of bench/lifecycle: the real workflow and the bare one, events dropped."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

sys.path.insert(0, str(Path(__file__).parent))
from lifecycle_bare import BareWorkflow  # noqa: E402

from safeguard.settings import Settings  # noqa: E402
from safeguard.temporal import data_converter_for  # noqa: E402
from workflows.referral.activities import assessment_due  # noqa: E402
from workflows.referral.models import RecordEventInput, RecordEventsInput  # noqa: E402
from workflows.referral.worker import SANDBOX  # noqa: E402
from workflows.referral.workflows import ReferralWorkflow  # noqa: E402


@activity.defn(name="record_event")
async def record_event(input: RecordEventInput) -> None:
    """The outbox is measured by bench/events; here events are dropped."""


@activity.defn(name="record_events")
async def record_events(input: RecordEventsInput) -> None:
    """A step's events, dropped likewise."""


async def main(address: str, task_queue: str) -> None:
    """Serve both workflows until killed."""
    client = await Client.connect(
        address, data_converter=data_converter_for(Settings(environment="test"))
    )
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[ReferralWorkflow, BareWorkflow],
        activities=[record_event, record_events, assessment_due],
        workflow_runner=SANDBOX,
        max_concurrent_workflow_tasks=200,
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
