"""bench/lifecycle: a synthetic year of national referrals through ReferralWorkflow.

About 8,800 referrals drawn by the national shares of ../shared/domain.md (tests/synthetic.py):
the referrer's sector, the type of concern, the person's age (a child's consent is asked of a
guardian) and the outcome (36% no further action, 50% signposted, 14% to a Channel panel of which
5 points adopted), every timer and review included,
each case run to its redaction with time skipping. The same number of bare workflows, with the
same updates and timers, runs in the same worker as the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from lifecycle_bare import BarePlan, BareWorkflow  # noqa: E402
from summary import figure  # noqa: E402

from safeguard.codes import ConsentRoute, GatewayOutcome, ReviewDecision  # noqa: E402
from tests import synthetic  # noqa: E402
from tests.temporal_server import start_time_skipping_server  # noqa: E402
from tests.workflow import builders as b  # noqa: E402
from workflows.referral.models import ReferralWorkflowInput  # noqa: E402
from workflows.referral.workflows import ReferralWorkflow  # noqa: E402

END_OF_LIFE = timedelta(days=7 * 366)  # beyond the longest retention: the case completes
Case = WorkflowHandle[Any, Any]


@dataclass
class Run:
    """One timed batch."""

    label: str
    count: int
    seconds: float
    peak_rss_mib: float


class Driver:
    """Plays a case's script against the server."""

    def __init__(self, env: WorkflowEnvironment, task_queue: str) -> None:
        self.env = env
        self.client: Client = env.client
        self.task_queue = task_queue

    async def start_case(self, person: synthetic.Profile) -> Case:
        referral_id = uuid.uuid4()
        reference = f"PRV-2026-{uuid.uuid4().hex[:10]}"
        return await self.client.start_workflow(
            ReferralWorkflow.run,
            ReferralWorkflowInput(
                referral_id=referral_id,
                reference=reference,
                sector=person.sector,
                concern_type=person.concern_type,
                received_at=datetime.now(UTC),
                area="E09000033",
                date_of_birth=person.date_of_birth,
            ),
            id=f"referral-{reference}",
            task_queue=self.task_queue,
        )

    async def act(self, case: Case, update: Any, inp: Any) -> None:
        # Right after start the case is still opening; officers act once the task appears.
        for _ in range(200):
            try:
                await case.execute_update(update, inp)
                return
            except WorkflowUpdateFailedError as error:
                if "SUBMITTED" not in str(error.cause):
                    raise
                await asyncio.sleep(0.02)
        raise RuntimeError("case never left SUBMITTED")

    async def advance(self, case: Case, days: float) -> None:
        await self.env.fast_forward(case, timedelta(days=days))

    async def finish(self, case: Case) -> None:
        await self.env.fast_forward(case, END_OF_LIFE)
        await case.result()


async def closed_at_gateway(
    driver: Driver, person: synthetic.Profile, outcome: GatewayOutcome
) -> tuple[Case, int]:
    case = await driver.start_case(person)
    await driver.act(case, ReferralWorkflow.record_gateway_assessment, b.gateway(outcome))
    await driver.finish(case)
    return case, 1


async def to_panel(driver: Driver, person: synthetic.Profile, adopted: bool) -> tuple[Case, int]:
    case = await driver.start_case(person)
    gateway = b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    await driver.act(case, ReferralWorkflow.record_gateway_assessment, gateway)
    route = ConsentRoute.PERSON if person.adult else ConsentRoute.GUARDIAN
    await driver.act(case, ReferralWorkflow.request_consent, b.request_consent(route))
    await driver.act(case, ReferralWorkflow.record_consent, b.consent())
    if not adopted:
        decline = b.adopt(
            adopted=False,
            votes_for=1,
            votes_against=3,
            basis="majority",
            plan=None,
            health_or_social_care_considered=True,
        )
        await driver.act(case, ReferralWorkflow.record_panel_decision, decline)
        await driver.finish(case)
        return case, 4
    await driver.act(case, ReferralWorkflow.record_panel_decision, b.adopt())
    for _ in range(5):  # monthly reviews over roughly six months of support
        await driver.advance(case, 31)
        await driver.act(
            case, ReferralWorkflow.record_support_review, b.review(ReviewDecision.CONTINUE)
        )
    await driver.act(case, ReferralWorkflow.record_support_review, b.review(ReviewDecision.EXIT))
    for months in (6, 12):
        await driver.advance(case, 190)
        await driver.act(case, ReferralWorkflow.record_post_exit_review, b.post_exit(months))
    await driver.finish(case)
    return case, 12


Script = Callable[[Driver, synthetic.Profile], Awaitable[tuple[Case, int]]]
SCRIPTS: dict[str, Script] = {
    "nfa": lambda d, p: closed_at_gateway(d, p, GatewayOutcome.NO_FURTHER_ACTION),
    "signposted": lambda d, p: closed_at_gateway(d, p, GatewayOutcome.SIGNPOSTED),
    "panel_not_adopted": lambda d, p: to_panel(d, p, adopted=False),
    "panel_adopted": lambda d, p: to_panel(d, p, adopted=True),
}


async def timer_count(case: Case) -> int:
    history = await case.fetch_history()
    return sum(1 for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED)


async def bare_case(driver: Driver, plan: BarePlan) -> None:
    case = await driver.client.start_workflow(
        BareWorkflow.run, plan, id=f"bare-{uuid.uuid4().hex}", task_queue=driver.task_queue
    )
    for _ in range(plan.updates):
        await case.execute_update(BareWorkflow.step)
    await driver.env.fast_forward(case, END_OF_LIFE)
    await case.result()


async def timed(
    label: str, jobs: list[Callable[[], Awaitable[object]]], worker: psutil.Process, limit: int
) -> Run:
    gate = asyncio.Semaphore(limit)
    peak = worker.memory_info().rss

    async def one(job: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await job()

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, worker.memory_info().rss)
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    began = time.perf_counter()
    await asyncio.gather(*(one(job) for job in jobs))
    seconds = time.perf_counter() - began
    sampler.cancel()
    return Run(label, len(jobs), seconds, peak / 2**20)


def print_runs(runs: list[Run]) -> None:
    print(f"{'run':<22}{'workflows':>10}{'wall s':>10}{'wf/s':>10}{'peak worker MiB':>18}")
    for run in runs:
        rate = run.count / run.seconds
        print(
            f"{run.label:<22}{run.count:>10}{run.seconds:>10.1f}{rate:>10.1f}{run.peak_rss_mib:>18.0f}"
        )
    if len(runs) == 2:
        print(f"overhead (wall time lifecycle / bare): {runs[0].seconds / runs[1].seconds:.2f}x")
        ours, bare = (run.count / run.seconds for run in runs)
        figure("ReferralWorkflow, bare as baseline", ours, unit="wf/s", baseline=bare)


async def main(total: int, concurrency: int) -> None:
    env = await start_time_skipping_server()
    task_queue = f"bench-{uuid.uuid4().hex[:8]}"
    address = env.client.service_client.config.target_host
    worker_path = Path(__file__).parent / "lifecycle_worker.py"
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(worker_path), address, task_queue
    )
    try:
        await run_bench(Driver(env, task_queue), psutil.Process(process.pid), total, concurrency)
    finally:
        process.terminate()
        await process.wait()
        await env.shutdown()


async def run_bench(driver: Driver, worker: psutil.Process, total: int, concurrency: int) -> None:
    people = synthetic.population(total)
    rng = random.Random(1)
    plans = {}
    for kind in SCRIPTS:  # warm-up, untimed: also counts each script's updates and timers
        case, updates = await SCRIPTS[kind](driver, synthetic.draw(rng, datetime.now(UTC).date()))
        plans[kind] = BarePlan(updates=updates, timer_days=[1.0] * await timer_count(case))
    print(f"{total} referrals:\n{synthetic.mix(people)}")
    print(
        "per case (updates, timers): "
        + ", ".join(f"{k} ({p.updates}, {len(p.timer_days)})" for k, p in plans.items())
    )
    lifecycle_jobs: list[Callable[[], Awaitable[object]]] = [
        functools.partial(SCRIPTS[person.outcome], driver, person) for person in people
    ]
    bare_jobs: list[Callable[[], Awaitable[object]]] = [
        functools.partial(bare_case, driver, plans[person.outcome]) for person in people
    ]
    lifecycle = await timed("ReferralWorkflow", lifecycle_jobs, worker, concurrency)
    bare = await timed("bare workflow", bare_jobs, worker, concurrency)
    print_runs([lifecycle, bare])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--referrals", type=int, default=8_800)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    asyncio.run(main(args.referrals, args.concurrency))
    sys.stdout.flush()
    # The SDK's native runtime can abort during interpreter teardown; the figures are out.
    os._exit(0)
