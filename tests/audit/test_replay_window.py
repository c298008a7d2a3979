"""Replaying every case closed in a window (an auditor's year) from the archive, in bulk."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from functools import partial

from temporalio.client import WorkflowHistory
from temporalio.worker import Worker

from safeguard.audit import archive
from safeguard.audit.window import WindowReplay, closed_cases, count_closed, replay_window
from safeguard.db.pool import Connection, create_pool
from safeguard.settings import Settings
from tests.audit.conftest import Audit, start_case
from tests.audit.variant import ReferralWorkflowWithExtraTimer, journeys
from tests.helpers import assert_eventually
from workflows.referral.activities import ReferralActivities, assessment_due
from workflows.referral.replay_bulk import replaying_in_bulk
from workflows.referral.worker import SANDBOX

START = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


async def _case(
    conn: Connection,
    reference: str,
    closed_at: dt.datetime | None,
    runs: Sequence[WorkflowHistory] = (),
    *,
    erased: bool = False,
) -> None:
    """A case as the audit store keeps it, its runs archived."""
    referral_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO audit.cases (referral_id, reference, workflow_id, opened_at, closed_at,"
        " erased_timeline) VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN '[]'::jsonb END)",
        referral_id,
        reference,
        f"referral-{reference}",
        START - dt.timedelta(days=60),
        closed_at,
        erased,
    )
    await archive.store_runs(conn, referral_id, list(runs))


async def test_the_window_is_read_page_by_page_within_its_bounds(settings: Settings) -> None:
    pool = await create_pool(settings)
    middle = START + dt.timedelta(days=180)
    inside = {
        "at-start": START,
        "tie-1": middle,
        "tie-2": middle,
        "tie-3": middle,
        "last-moment": END - MICROSECOND,
    }
    outside = {"before": START - MICROSECOND, "at-end": END, "still-open": None}
    try:
        async with pool.acquire() as conn:
            for reference, closed_at in (inside | outside).items():
                await _case(conn, reference, closed_at)
            # Pages of two: the three closed at the same moment straddle a page boundary.
            read = [case async for case in closed_cases(conn, START, END, page=2)]
            counted = await count_closed(conn, START, END)
    finally:
        await pool.close()

    assert sorted(case.reference for case in read) == sorted(inside)
    assert [case.reference for case in read][0] == "at-start"
    assert [case.reference for case in read][-1] == "last-moment"
    assert counted == len(inside)


async def test_a_window_replays_from_the_archive_naming_the_one_that_differs(
    settings: Settings,
) -> None:
    runs = journeys(6, edited=2)  # referral-bulk-0 … 5; the third is not reproduced
    progress: list[tuple[int, int]] = []
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            for n, run in enumerate(runs):
                closed_at = START + dt.timedelta(days=30 * n)
                await _case(conn, f"bulk-{n}", closed_at if n < 5 else END, [run])
            await _case(conn, "erased", START + dt.timedelta(days=1), erased=True)
            await _case(conn, "never-archived", START + dt.timedelta(days=2))

            def seen(done: int, so_far: WindowReplay) -> None:
                progress.append((done, so_far.cases))

            outcome = await replay_window(
                conn, replaying_in_bulk(settings), START, END, on_progress=seen
            )
    finally:
        await pool.close()

    # bulk-5 closed as the window ended: not in it.
    assert (outcome.cases, outcome.runs, outcome.erased) == (7, 5, 1)
    assert outcome.events == 5 * len(runs[0].events)
    assert outcome.missing == ["never-archived"]
    assert outcome.incomplete == []
    assert [failure.workflow_id for failure in outcome.failures] == ["referral-bulk-2"]
    assert not outcome.deterministic
    assert [done for done, _ in progress] == list(range(1, 8))
    assert {total for _, total in progress} == {7}


async def test_the_console_replays_a_window_in_processes_and_fails_on_a_difference(
    audit: Audit,
) -> None:
    # Three cases on the current code; two ran on code that waited before opening the case (a
    # release the current code is not compatible with), one of them closed last year.
    current = [await audit.open_case() for _ in range(3)]
    queue = f"{audit.task_queue}-incompatible"
    activities = ReferralActivities(audit.pool)
    async with Worker(
        audit.temporal,
        task_queue=queue,
        workflows=[ReferralWorkflowWithExtraTimer],
        activities=[activities.record_event, activities.record_events, assessment_due],
        workflow_runner=SANDBOX,
    ):
        incompatible = [await start_case(audit.temporal, queue) for _ in range(2)]
        for _, handle in current + incompatible:
            await audit.close_with_no_further_action(handle)
        for reference, _ in current + incompatible:
            await assert_eventually(partial(audit.archived_runs, reference), lambda n: n == 1)
    last_year, _ = incompatible[1]
    async with audit.pool.acquire() as conn:
        await conn.execute(
            "UPDATE audit.cases SET closed_at = closed_at - interval '1 year' WHERE reference = $1",
            last_year,
        )
    today = dt.datetime.now(dt.UTC).date()
    window = [
        "--from",
        f"{today - dt.timedelta(days=1)}",
        "--to",
        f"{today + dt.timedelta(days=2)}",
    ]
    auditor = ["--token", audit.token(), "--purpose", "annual audit"]
    code, out, err = await audit.console(
        "audit", "replay-window", *window, "--workers", "2", *auditor
    )

    assert code == 1, err
    assert out.startswith("4 cases closed in the window: 4 runs,")
    assert "; 1 not deterministic" in out.splitlines()[0]
    failed = [line for line in out.splitlines()[1:] if "NondeterminismError" in line]
    assert len(failed) == 1
    assert failed[0].startswith(f"  {incompatible[0][1].id} run ")
    # Not a terminal: plain progress lines, the last one saying all is done.
    assert (
        err.rstrip()
        .splitlines()[-1]
        .startswith("replaying closed cases: 4 of 4 (100%), 1 not deterministic,")
    )

    api = await audit.http.get(
        f"{audit.url}/v1/replays",
        params={
            "closed_from": f"{dt.datetime.now(dt.UTC) - dt.timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
            "closed_to": f"{dt.datetime.now(dt.UTC) + dt.timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
        },
        headers=audit.headers(),
    )
    assert api.status_code == 200, api.text
    body = api.json()
    assert (body["cases"], body["runs"], body["deterministic"]) == (4, 4, False)
    assert [f["workflow_id"] for f in body["failures"]] == [incompatible[0][1].id]
