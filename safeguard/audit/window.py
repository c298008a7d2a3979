"""Replaying every case closed in a window (a year: about 9,000), from the archive.

The cases are read a page at a time (two queries per page, however many runs) and their runs
streamed to one bulk replay, which replays on while the next page is read; a case counts as
done once every run of it has a verdict.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from temporalio.client import WorkflowHistory

from safeguard.audit import archive
from safeguard.audit.replaying import ReplayStream, RunReplay
from safeguard.db.pool import Connection

PAGE = 200


@dataclass
class WindowReplay:
    """The outcome of replaying every case closed in a window."""

    cases: int = 0
    runs: int = 0
    events: int = 0
    erased: int = 0
    missing: list[str] = field(default_factory=list)
    # Cases whose archived history refers to runs it does not hold.
    incomplete: list[str] = field(default_factory=list)
    failures: list[RunReplay] = field(default_factory=list)

    @property
    def deterministic(self) -> bool:
        """Whether every replayed run reproduced its history."""
        return not self.failures


# Told how many cases are done so far, and the outcome so far (`cases`: how many in all).
OnProgress = Callable[[int, WindowReplay], None]


@dataclass(frozen=True)
class ClosedCase:
    """A case closed in the window and its archived runs (none if erased or never archived)."""

    reference: str
    erased: bool
    runs: list[WorkflowHistory]


async def count_closed(conn: Connection, start: datetime, end: datetime) -> int:
    """How many cases closed in [start, end)."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM audit.cases WHERE closed_at >= $1 AND closed_at < $2", start, end
    )
    return count


async def closed_cases(
    conn: Connection, start: datetime, end: datetime, *, page: int = PAGE
) -> AsyncIterator[ClosedCase]:
    """Every case closed in [start, end) with its archived runs, oldest closure first."""
    after: tuple[datetime, UUID] | None = None
    while True:
        rows = await conn.fetch(
            "SELECT referral_id, reference, closed_at,"
            " erased_timeline IS NOT NULL AS erased FROM audit.cases"
            " WHERE closed_at >= $1 AND closed_at < $2"
            " AND ($3::timestamptz IS NULL OR (closed_at, referral_id) > ($3, $4::uuid))"
            " ORDER BY closed_at, referral_id LIMIT $5",
            start,
            end,
            *(after or (None, None)),
            page,
        )
        runs = await archive.load_runs_of(
            conn, [row["referral_id"] for row in rows if not row["erased"]]
        )
        for row in rows:
            case_runs = runs.get(row["referral_id"], [])
            yield ClosedCase(row["reference"], row["erased"], case_runs)
        if len(rows) < page:
            return
        after = (rows[-1]["closed_at"], rows[-1]["referral_id"])


async def replay_window(
    conn: Connection,
    replay: ReplayStream,
    start: datetime,
    end: datetime,
    *,
    on_progress: OnProgress | None = None,
) -> WindowReplay:
    """Replay, from the archive, every case closed in [start, end)."""
    tally = _Tally(WindowReplay(cases=await count_closed(conn, start, end)), on_progress)
    async for verdict in replay(tally.runs_of(closed_cases(conn, start, end))):
        tally.replayed(verdict)
    return tally.outcome


class _Tally:
    """Counts cases as their runs go out to be replayed and as their verdicts come back."""

    def __init__(self, outcome: WindowReplay, on_progress: OnProgress | None) -> None:
        self.outcome = outcome
        self.on_progress = on_progress
        self.seen = 0
        self.done = 0
        self.waiting: dict[str, int] = {}  # workflow id: runs without a verdict yet

    async def runs_of(self, cases: AsyncIterator[ClosedCase]) -> AsyncIterator[WorkflowHistory]:
        """The runs to replay, noting on the way the cases that have none."""
        async for case in cases:
            self.seen += 1
            self.outcome.cases = max(self.outcome.cases, self.seen)  # some closed meanwhile
            if case.erased:
                self.outcome.erased += 1
            elif not case.runs:
                self.outcome.missing.append(case.reference)
            elif archive.missing_runs(case.runs):
                self.outcome.incomplete.append(case.reference)
            if not case.runs:
                self._case_done()
                continue
            for run in case.runs:
                self.waiting[run.workflow_id] = self.waiting.get(run.workflow_id, 0) + 1
            for run in case.runs:
                yield run

    def replayed(self, verdict: RunReplay) -> None:
        """Count a run's verdict, and its case once all its runs have one."""
        self.outcome.runs += 1
        self.outcome.events += verdict.events
        if not verdict.deterministic:
            self.outcome.failures.append(verdict)
        self.waiting[verdict.workflow_id] -= 1
        if not self.waiting[verdict.workflow_id]:
            del self.waiting[verdict.workflow_id]
            self._case_done()

    def _case_done(self) -> None:
        self.done += 1
        if self.on_progress:
            self.on_progress(self.done, self.outcome)
