"""How long after its acceptance each referral's workflow was started, read from intake's table.

Intake answers once the referral commits and its starter starts the workflow just after, so
the API's figures leave out the start; this measures it: from `received_at` (set as intake
handles the POST) to `workflow_started_at` (recorded once Temporal said the workflow exists),
for the referrals of one measurement, after waiting for its backlog to drain.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from summary import figure

_DRAIN_LIMIT_SECONDS = 300.0


@dataclass(frozen=True)
class StartLag:
    """Accept-to-started figures for one intake and one measurement."""

    referrals: int
    p50_ms: float
    p99_ms: float
    # Time from the end of the measurement until every referral of it had started.
    drained_s: float

    def cells(self) -> str:
        """The figures as table cells."""
        return f"{self.p50_ms:8.1f} {self.p99_ms:8.1f} {self.drained_s:8.1f}"


async def start_lag(dsn: str, *, since: datetime) -> StartLag:
    """Wait until every referral received since `since` is started, then measure them."""
    ended = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await _drained(conn, since, deadline=ended + _DRAIN_LIMIT_SECONDS)
        drained = time.perf_counter() - ended
        row = await conn.fetchrow(
            "SELECT count(*) AS n, percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP"
            " (ORDER BY extract(epoch FROM workflow_started_at - received_at)) AS lags"
            " FROM intake.referrals WHERE received_at >= $1 AND workflow_started_at IS NOT NULL",
            since,
        )
    finally:
        await conn.close()
    assert row is not None  # noqa: S101 - an aggregate always has its row
    p50, p99 = row["lags"] or (0.0, 0.0)
    return StartLag(row["n"], p50 * 1000, p99 * 1000, drained)


async def _drained(
    conn: asyncpg.Connection[asyncpg.Record], since: datetime, *, deadline: float
) -> None:
    """Poll until no referral received since `since` waits for its start (or the deadline)."""
    while time.perf_counter() < deadline:
        waiting = await conn.fetchval(
            "SELECT count(*) FROM intake.referrals"
            " WHERE received_at >= $1 AND workflow_started_at IS NULL",
            since,
        )
        if not waiting:
            return
        await asyncio.sleep(0.05)


def header(labels: list[str]) -> None:
    """The start table's two header lines."""
    print("\naccept -> workflow started (received_at to workflow_started_at), per level:")
    titles = [f"{label}: started after" for label in labels]
    print(f"{'':>5} | " + " | ".join(f"{title:^26}" for title in titles) + " |")
    columns = [f"{'p50 ms':>8} {'p99 ms':>8} {'drain s':>8}" for _ in labels]
    print(f"{'conc':>5} | " + " | ".join(columns) + " |")


def report(level: int, lags: list[StartLag]) -> None:
    """One line of the start table (the first intake's p99 goes to bench/all's summary)."""
    figure(f"accept to start p99, {level} callers", lags[0].p99_ms, unit="ms", better="lower")
    print(f"{level:>5} | " + " | ".join(lag.cells() for lag in lags) + " |")
