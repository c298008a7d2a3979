"""The worker process: runs referral workflows and activities, and relays the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from prometheus_client import start_http_server
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from safeguard.db.pool import Pool, create_pool
from safeguard.logs import configure_logging
from safeguard.outbox import OutboxRelay
from safeguard.settings import Settings, get_settings
from safeguard.telemetry import configure_tracing
from safeguard.temporal import connect_temporal
from workflows.referral.activities import ReferralActivities, assessment_due
from workflows.referral.workflows import ReferralWorkflow

# The workflow's helper modules are pure and shared with the host, so classes such as the
# plan's `Intervention` are the same objects inside and outside the sandbox.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "safeguard",
        "workflows.referral.actions",
        "workflows.referral.activities",
        "workflows.referral.models",
        "workflows.referral.rules",
        "workflows.referral.standing",
        "workflows.referral.state",
        "workflows.referral.transitions",
    )
)


def build_worker(client: Client, pool: Pool, *, task_queue: str) -> Worker:
    """A worker for the referral task queue."""
    activities = ReferralActivities(pool)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ReferralWorkflow],
        activities=[activities.record_event, activities.record_events, assessment_due],
        workflow_runner=SANDBOX,
    )


def _runtime_with_metrics(settings: Settings) -> Runtime:
    """The SDK runtime exporting its metrics (workflow task latency among them) to Prometheus."""
    port = settings.telemetry.temporal_metrics_port
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=f"{settings.telemetry.metrics_host}:{port}")
        )
    )


async def run_worker(settings: Settings) -> None:
    """Run the worker and the outbox relay until cancelled."""
    start_http_server(settings.telemetry.worker_metrics_port, addr=settings.telemetry.metrics_host)
    client = await connect_temporal(settings, runtime=_runtime_with_metrics(settings))
    pool = await create_pool(settings)
    try:
        relay = OutboxRelay(settings=settings, pool=pool)
        worker = build_worker(client, pool, task_queue=settings.temporal_task_queue)
        async with asyncio.TaskGroup() as group:
            group.create_task(worker.run())
            group.create_task(relay.run())
    finally:
        await pool.close()


async def _run_until_terminated(settings: Settings) -> None:
    # SIGTERM (from `safeguard run` or an orchestrator) cancels the worker, which lets
    # in-flight activities finish their attempt instead of dying mid-write.
    task = asyncio.current_task()
    assert task is not None  # noqa: S101 - always inside asyncio.run
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await run_worker(settings)


def main() -> None:
    """Entry point of the worker process (`python -m workflows.referral.worker`)."""
    configure_logging()
    settings = get_settings()
    configure_tracing("safeguard-worker", settings)
    asyncio.run(_run_until_terminated(settings))


if __name__ == "__main__":
    main()
