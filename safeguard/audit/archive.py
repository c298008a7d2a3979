"""Workflow histories kept in PostgreSQL past Temporal's retention, payloads still encrypted."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from uuid import UUID

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from safeguard import outages
from safeguard.db.pool import Connection
from safeguard.outages import Dependency

_CLOSING = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


async def fetch_runs(
    client: Client,
    workflow_id: str,
    *,
    run_id: str | None = None,
    stop_at: Collection[str] = (),
) -> list[WorkflowHistory]:
    """The runs of a workflow Temporal still has, oldest first, up to `run_id` (else the latest).

    Runs are followed back through each start event's previous run id, so nothing depends on
    the (eventually consistent) visibility store; the walk stops before a run in `stop_at`
    (already archived). A run Temporal no longer has (past its retention) also ends the walk,
    and is not hidden: the oldest run returned still names it as its predecessor, which
    `missing_runs` reports.
    """
    runs: list[WorkflowHistory] = []
    wanted = run_id
    while wanted is None or wanted not in stop_at:
        try:
            history = await client.get_workflow_handle(workflow_id, run_id=wanted).fetch_history()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                break  # past retention (or never existed): see missing_runs
            raise  # an outage answers 503 (safeguard.errors)
        outages.current().ended(Dependency.TEMPORAL)
        runs.append(history)
        wanted = previous_run_id(history)
        if wanted is None:
            break
    return runs[::-1]


def previous_run_id(history: WorkflowHistory) -> str | None:
    """The run this one continued from (None: the workflow's first run)."""
    started = history.events[0].workflow_execution_started_event_attributes
    return started.continued_execution_run_id or None


def next_run_id(history: WorkflowHistory) -> str | None:
    """The run this one continued as (None: it has not continued as new)."""
    last = history.events[-1]
    if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        return None
    return last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id or None


def missing_runs(runs: Sequence[WorkflowHistory]) -> list[str]:
    """Runs these (oldest first) refer to but do not hold: a run continued from one not here,
    or continued as one not here. Past such a gap, earlier (or later) runs may be lost too."""
    held = {run.run_id for run in runs}
    referred = [previous_run_id(run) for run in runs] + [next_run_id(run) for run in runs]
    return list(dict.fromkeys(r for r in referred if r is not None and r not in held))


def is_closed(history: WorkflowHistory) -> bool:
    """Whether the run has ended (a still-open run's history may grow)."""
    return bool(history.events) and history.events[-1].event_type in _CLOSING


async def store_runs(conn: Connection, referral_id: UUID, runs: list[WorkflowHistory]) -> int:
    """Archive (or refresh) each run's history exactly as Temporal served it; return how many."""
    for run in runs:
        raw = History(events=run.events).SerializeToString()
        closed = run.events[-1].event_time.ToDatetime(tzinfo=UTC) if is_closed(run) else None
        await conn.execute(
            "INSERT INTO audit.history_archive (workflow_id, run_id, referral_id, run_started_at,"
            " run_closed_at, event_count, history, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (workflow_id, run_id) DO UPDATE SET run_closed_at = $5,"
            " event_count = $6, history = $7, sha256 = $8, archived_at = now()"
            " WHERE audit.history_archive.event_count <= $6",
            run.workflow_id,
            run.run_id,
            referral_id,
            run.events[0].event_time.ToDatetime(tzinfo=UTC),
            closed,
            len(run.events),
            raw,
            hashlib.sha256(raw).digest(),
        )
    return len(runs)


async def archived_run_ids(conn: Connection, referral_id: UUID) -> dict[str, bool]:
    """The case's archived runs: run id to whether the run had ended when it was stored."""
    rows = await conn.fetch(
        "SELECT run_id, run_closed_at IS NOT NULL AS ended FROM audit.history_archive"
        " WHERE referral_id = $1",
        referral_id,
    )
    return {row["run_id"]: row["ended"] for row in rows}


async def load_runs(conn: Connection, referral_id: UUID) -> list[WorkflowHistory]:
    """The archived runs of a case, oldest first, each checked against its stored digest."""
    return (await load_runs_of(conn, [referral_id])).get(referral_id, [])


async def load_runs_of(
    conn: Connection, referral_ids: Sequence[UUID]
) -> dict[UUID, list[WorkflowHistory]]:
    """The archived runs of each of these cases (those with any), oldest first, checked."""
    rows = await conn.fetch(
        "SELECT referral_id, workflow_id, history, sha256 FROM audit.history_archive"
        " WHERE referral_id = ANY($1::uuid[]) ORDER BY referral_id, run_started_at",
        list(referral_ids),
    )
    runs: dict[UUID, list[WorkflowHistory]] = {}
    for row in rows:
        raw = bytes(row["history"])
        if hashlib.sha256(raw).digest() != bytes(row["sha256"]):
            raise ArchiveCorruptError(f"archived history of {row['workflow_id']} was altered")
        run = WorkflowHistory(row["workflow_id"], list(History.FromString(raw).events))
        runs.setdefault(row["referral_id"], []).append(run)
    return runs


async def drop_runs(conn: Connection, referral_id: UUID) -> int:
    """Delete a case's archived histories (on erasure); return how many runs went."""
    deleted: int = await conn.fetchval(
        "WITH gone AS (DELETE FROM audit.history_archive WHERE referral_id = $1 RETURNING 1)"
        " SELECT count(*) FROM gone",
        referral_id,
    )
    return deleted


class ArchiveCorruptError(Exception):
    """An archived history no longer matches the digest stored with it."""


def now() -> datetime:
    """The current time (one place, so callers agree)."""
    return datetime.now(UTC)
