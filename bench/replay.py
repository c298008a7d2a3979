"""bench/replay: replaying a two-year case's history, beside a minimal one of the same length.

Records, with time skipping, a case adopted by a Channel panel and supported for two years
(monthly reviews, the plan revised every quarter, then exit and the 6- and 12-month post-exit
reviews), then a minimal workflow (bench/lifecycle_bare's, taking updates only) with the same
number of history events; replays
each repeatedly in one `Replayer` with the production data converter (AES-GCM payloads) and
sandbox, and prints histories replayed per second and history events per second for both.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle, WorkflowHistory, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from lifecycle_bare import BarePlan, BareWorkflow  # noqa: E402
from summary import figure  # noqa: E402

from safeguard.codes import GatewayOutcome, ReviewDecision  # noqa: E402
from tests.temporal_server import start_time_skipping_server  # noqa: E402
from tests.workflow import builders as b  # noqa: E402
from workflows.referral.activities import assessment_due  # noqa: E402
from workflows.referral.models import (  # noqa: E402
    RecordEventInput,
    RecordEventsInput,
    ReferralWorkflowInput,
)
from workflows.referral.replay import replay_runs, replayer_for  # noqa: E402
from workflows.referral.worker import SANDBOX  # noqa: E402
from workflows.referral.workflows import ReferralWorkflow  # noqa: E402

Case = WorkflowHandle[Any, Any]
TASK_QUEUE = f"bench-replay-{uuid.uuid4().hex[:6]}"
SUPPORT_MONTHS = 24


@activity.defn(name="record_event")
async def _record_event(input: RecordEventInput) -> None:
    """Events go nowhere: the benchmark is about the history."""


@activity.defn(name="record_events")
async def _record_events(input: RecordEventsInput) -> None:
    """Events go nowhere: the benchmark is about the history."""


async def _act(case: Case, update: Any, inp: Any) -> None:
    for _ in range(200):  # right after start the case is still opening
        try:
            await case.execute_update(update, inp)
            return
        except WorkflowUpdateFailedError as error:
            if "SUBMITTED" not in str(error.cause):
                raise
            await asyncio.sleep(0.02)


async def two_year_case(env: WorkflowEnvironment) -> list[WorkflowHistory]:
    """A Channel case supported for two years, run to its last post-exit review."""
    reference = f"PRV-2026-{uuid.uuid4().hex[:8]}"
    case: Case = await env.client.start_workflow(
        ReferralWorkflow.run,
        ReferralWorkflowInput(
            referral_id=uuid.uuid4(),
            reference=reference,
            sector="education",
            concern_type="mixed_unclear_unstable",
            received_at=datetime.now(UTC),
            area="E09000033",
        ),
        id=f"referral-{reference}",
        task_queue=TASK_QUEUE,
    )
    await _act(
        case,
        ReferralWorkflow.record_gateway_assessment,
        b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL),
    )
    await _act(case, ReferralWorkflow.request_consent, b.request_consent())
    await _act(case, ReferralWorkflow.record_consent, b.consent())
    await _act(case, ReferralWorkflow.record_panel_decision, b.adopt())
    for month in range(1, SUPPORT_MONTHS + 1):
        await env.fast_forward(case, timedelta(days=30))
        if month % 3 == 0:
            review = b.review(ReviewDecision.REVISE, plan=b.plan(items=1 + month // 3 % 4))
        else:
            review = b.review(ReviewDecision.CONTINUE)
        await _act(case, ReferralWorkflow.record_support_review, review)
    await _act(case, ReferralWorkflow.record_support_review, b.review(ReviewDecision.EXIT))
    for months in (6, 12):
        await env.fast_forward(case, timedelta(days=185))
        await _act(case, ReferralWorkflow.record_post_exit_review, b.post_exit(months))
    return await _runs(env.client, case.id)


async def _runs(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    return [
        await client.get_workflow_handle(e.id, run_id=e.run_id).fetch_history()
        async for e in client.list_workflows(f"WorkflowId = '{workflow_id}'")
    ]


async def minimal_case(client: Client, events: int) -> WorkflowHistory:
    """The bare workflow taking updates (five history events each) to about `events` events."""
    updates = max(1, (events - 5) // 5)
    handle = await client.start_workflow(
        BareWorkflow.run,
        BarePlan(updates=updates, timer_days=[]),
        id=f"minimal-{uuid.uuid4().hex[:8]}",
        task_queue=TASK_QUEUE,
    )
    for _ in range(updates):
        await handle.execute_update(BareWorkflow.step)
    await handle.result()
    return await handle.fetch_history()


async def _repeat(history: WorkflowHistory, times: int) -> AsyncIterator[WorkflowHistory]:
    for _ in range(times):
        yield history


async def measure(
    replayer: Replayer, runs: list[WorkflowHistory], seconds: float
) -> tuple[int, float]:
    """Replay the runs over and over for about `seconds`; return (replays, elapsed)."""
    verdicts = await replay_runs(replayer, runs)  # warm-up, and a check
    assert all(v.deterministic for v in verdicts), verdicts
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        batch = 20
        for run in runs:
            async with replayer.workflow_replay_iterator(_repeat(run, batch)) as results:
                async for result in results:
                    assert result.replay_failure is None
        done += batch
    return done, time.perf_counter() - started


def _row(label: str, runs: list[WorkflowHistory], done: int, elapsed: float) -> str:
    events = sum(len(run.events) for run in runs)
    rate = done / elapsed
    return f"{label:<26} {len(runs):>4} {events:>7} {rate:>12.1f} {rate * events:>13,.0f}"


async def main(seconds: float) -> None:
    env = await start_time_skipping_server()
    async with env:
        async with Worker(
            env.client,
            task_queue=TASK_QUEUE,
            workflows=[ReferralWorkflow, BareWorkflow],
            activities=[_record_event, _record_events, assessment_due],
            workflow_runner=SANDBOX,
        ):
            recording = time.perf_counter()
            case = await two_year_case(env)
            events = sum(len(run.events) for run in case)
            minimal = [await minimal_case(env.client, events)]
            recorded = time.perf_counter() - recording
        converter = env.client.data_converter
        case_replayer = replayer_for(converter)
        minimal_replayer = Replayer(
            workflows=[BareWorkflow], data_converter=converter, workflow_runner=SANDBOX
        )
        case_done, case_elapsed = await measure(case_replayer, case, seconds)
        minimal_done, minimal_elapsed = await measure(minimal_replayer, minimal, seconds)
    print(f"recorded both in {recorded:.1f} s (time skipping); {seconds:.0f} s of replay each")
    print(f"{'history':<26} {'runs':>4} {'events':>7} {'histories/s':>12} {'events/s':>13}")
    print(_row("two-year Channel case", case, case_done, case_elapsed))
    print(_row("minimal (updates only)", minimal, minimal_done, minimal_elapsed))
    # Events per second, so the two histories' different lengths do not decide the ratio.
    figure(
        "two-year case's history, a minimal one as baseline",
        case_done * sum(len(run.events) for run in case) / case_elapsed,
        unit="events/s",
        baseline=minimal_done * sum(len(run.events) for run in minimal) / minimal_elapsed,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="replay time per history")
    asyncio.run(main(parser.parse_args().seconds))
