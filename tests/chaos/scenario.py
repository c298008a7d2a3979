"""The chaos run: steady referrals while each part of the system is killed in turn."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tests.chaos.counts import Counts, count_stages
from tests.chaos.faults import FAULTS, NO_FAULT, Recovery, inflict, processed
from tests.chaos.load import Load
from tests.chaos.system import System, running_system
from tests.intake.clients import register_client

STEADY = 3.0  # seconds of load before the first fault, and between faults
DRAIN_WITHIN = 180.0


@dataclass(frozen=True)
class ChaosRun:
    """What the run measured and counted."""

    baseline: Recovery
    recoveries: list[Recovery]
    statuses: Counter[int]
    counts: Counts

    def unexpected(self) -> Counter[int]:
        """Answers other than 2xx, 503 and no answer (a process was down)."""
        return Counter(
            {s: n for s, n in self.statuses.items() if not (200 <= s < 300 or s in (0, 503))}
        )


async def chaos(data_dir: Path, *, faults: tuple[str, ...] = FAULTS) -> ChaosRun:
    """Start the system, load it, kill each of `faults` in turn, then count every stage."""
    async with running_system(data_dir) as system:
        load = Load(system.url("intake"), await _partner(system))
        loading = asyncio.create_task(load.run())
        recoveries = []
        try:
            await asyncio.sleep(STEADY)
            baseline = await inflict(system, load, NO_FAULT)
            for fault in faults:
                recoveries.append(await inflict(system, load, fault))
                await asyncio.sleep(STEADY)
        finally:
            loading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loading
        await _drain(system)
        counts = await count_stages(system)
    return ChaosRun(
        baseline=baseline, recoveries=recoveries, statuses=load.statuses(), counts=counts
    )


async def _partner(system: System) -> dict[str, str]:
    pool = await asyncpg.create_pool(system.dsn, min_size=1, max_size=1)
    try:
        return await register_client(pool, "chaos-partner")
    finally:
        await pool.close()


async def _drain(system: System) -> None:
    """Wait until every referral the server accepted has been through every stage."""
    deadline = asyncio.get_running_loop().time() + DRAIN_WITHIN
    while True:
        conn = await asyncpg.connect(system.dsn)
        try:
            everyone = [
                r["reference"] for r in await conn.fetch("SELECT reference FROM intake.referrals")
            ]
        finally:
            await conn.close()
        missing = set(everyone) - await processed(system, everyone)
        if not missing:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"{len(missing)} accepted referrals never processed: {sorted(missing)[:10]}"
            )
        await asyncio.sleep(1.0)


def report(run: ChaosRun) -> str:
    """The figures, one line per fault, then the counts."""
    lines = [
        f"{'fault':<10} {'accepting again':>16} {'processing again':>17}"
        f" {'all back':>9} {'refused':>8}"
    ]
    for r in (run.baseline, *run.recoveries):
        lines.append(
            f"{r.fault:<10} {r.accepted_after:>15.1f}s {r.processed_after:>16.1f}s"
            f" {r.back_after:>8.1f}s {r.refused:>8}"
        )
    counts = run.counts
    lines.append(
        f"referrals accepted by the server: {counts.referrals}; answers by status: "
        + ", ".join(f"{'no answer' if s == 0 else s}: {n}" for s, n in sorted(run.statuses.items()))
    )
    lines.append(f"stages not exactly once: {counts.not_once() or 'none'}")
    return "\n".join(lines)
