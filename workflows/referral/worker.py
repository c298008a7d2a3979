"""The worker process: runs referral workflows and activities, and relays the outbox."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.worker import Worker

from safeguard.db.pool import Pool, create_pool
from safeguard.logs import configure_logging
from safeguard.outbox import OutboxRelay
from safeguard.settings import Settings, get_settings
from safeguard.telemetry import configure_tracing
from safeguard.temporal import connect_temporal
from workflows.referral.activities import ReferralActivities
from workflows.referral.workflows import ReferralWorkflow


def build_worker(client: Client, pool: Pool, *, task_queue: str) -> Worker:
    """A worker for the referral task queue."""
    activities = ReferralActivities(pool)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ReferralWorkflow],
        activities=[activities.record_event],
    )


async def run_worker(settings: Settings) -> None:
    """Run the worker and the outbox relay until cancelled."""
    client = await connect_temporal(settings)
    pool = await create_pool(settings)
    try:
        relay = OutboxRelay(settings=settings, pool=pool)
        worker = build_worker(client, pool, task_queue=settings.temporal_task_queue)
        async with asyncio.TaskGroup() as group:
            group.create_task(worker.run())
            group.create_task(relay.run())
    finally:
        await pool.close()


def main() -> None:
    """Entry point of `safeguard worker`."""
    configure_logging()
    configure_tracing("safeguard-worker")
    asyncio.run(run_worker(get_settings()))


if __name__ == "__main__":
    main()
