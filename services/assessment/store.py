"""SQL of the assessment service (schema `assessment`): cases, their events, tasks, holders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from safeguard import projection
from safeguard.db.pool import Connection
from safeguard.events.envelope import EventEnvelope
from services.assessment.models import TaskKind, TaskRead, TaskSort, TaskStatus

_TASK_COLUMNS = (
    "t.id, t.referral_id, t.reference, t.kind, t.status, t.stage, t.area, t.sector,"
    " t.concern_type, t.due_at, t.reminded_at, t.escalated_at, t.assignee, t.assigned_at,"
    " t.created_at, t.closed_at, t.version,"
    " (t.status = 'open' AND (coalesce(t.due_at < now(), false)"
    " OR t.escalated_at IS NOT NULL)) AS overdue"
)
# Past its due date, or escalated by the workflow (whose clock may run ahead of ours).
_OVERDUE = (
    "(t.status = 'open' AND (coalesce(t.due_at < now(), false) OR t.escalated_at IS NOT NULL))"
)
# Every order ends in the primary key, so pages never overlap or skip a row.
_ORDER: dict[str, str] = {
    "due_at": "t.due_at ASC NULLS LAST, t.created_at, t.id",
    "-due_at": "t.due_at DESC NULLS LAST, t.created_at DESC, t.id DESC",
    "created_at": "t.created_at, t.id",
    "-created_at": "t.created_at DESC, t.id DESC",
    "reference": "t.reference, t.id",
    "-reference": "t.reference DESC, t.id DESC",
}


@dataclass(frozen=True)
class TaskQuery:
    """Inbox filters; `areas=None` means every area (auditors and operators only)."""

    areas: Sequence[str] | None
    statuses: Sequence[TaskStatus] = (TaskStatus.OPEN,)
    stages: Sequence[str] = ()
    kinds: Sequence[TaskKind] = ()
    due_after: datetime | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    assignee: str | None = None
    unassigned: bool = False
    sort: TaskSort = "due_at"


@dataclass
class _Where:
    clauses: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def add(self, clause: str, *values: Any) -> None:
        """Append a clause whose `{}` placeholders become the next positional parameters."""
        numbers = [f"${len(self.args) + i + 1}" for i in range(len(values))]
        self.clauses.append(clause.format(*numbers))
        self.args.extend(values)

    def sql(self) -> str:
        return " AND ".join(self.clauses) or "true"


def _where(query: TaskQuery, args: Sequence[Any] = ()) -> _Where:
    """The query's filters, numbered after `args` (values of parameters that come first)."""
    where = _Where(args=list(args))
    if query.areas is not None:
        where.add("t.area = ANY({}::text[])", list(query.areas))
    if list(query.statuses) == [TaskStatus.OPEN]:
        # A literal, so the planner can use the partial indexes on open tasks.
        where.add("t.status = 'open'")
    elif query.statuses:
        where.add("t.status = ANY({}::text[])", [str(s) for s in query.statuses])
    if query.stages:
        where.add("t.stage = ANY({}::text[])", list(query.stages))
    if query.kinds:
        where.add("t.kind = ANY({}::text[])", [str(k) for k in query.kinds])
    if query.due_after is not None:
        where.add("t.due_at >= {}", query.due_after)
    if query.due_before is not None:
        where.add("t.due_at < {}", query.due_before)
    if query.overdue is not None:
        where.add(_OVERDUE if query.overdue else f"NOT {_OVERDUE}")
    if query.assignee is not None:
        where.add("t.assignee = {}", query.assignee)
    if query.unassigned:
        where.add("t.assignee IS NULL")
    return where


def _task(row: asyncpg.Record) -> TaskRead:
    return TaskRead.model_validate(dict(row))


# --- the inbox ------------------------------------------------------------------------------


async def list_tasks(
    conn: Connection,
    query: TaskQuery,
    *,
    limit: int,
    offset: int,
    ctes: str = "",
    cte_args: Sequence[Any] = (),
) -> tuple[list[TaskRead], int]:
    """One page of tasks in the query's order, and how many match in all.

    One statement, so one round trip and one snapshot (the page and its total agree): `ctes`
    (`name AS (...)`, parameters `$1` on, values `cte_args`) run in it first, as the access
    log's row does, which then commits with the read or not at all.
    """
    where = _where(query, cte_args)
    page = len(where.args)
    order = _ORDER[query.sort]
    # A page past the end still has its total: the one row then has no task in it.
    rows = await conn.fetch(
        f"WITH {ctes + ', ' if ctes else ''}page AS (SELECT {_TASK_COLUMNS}"  # noqa: S608 - fixed fragments; values are parameters
        f" FROM assessment.tasks t WHERE {where.sql()}"
        f" ORDER BY {order} LIMIT ${page + 1} OFFSET ${page + 2})"
        " SELECT n.total, t.* FROM (SELECT count(*) AS total FROM assessment.tasks t"
        f" WHERE {where.sql()}) n LEFT JOIN page t ON true ORDER BY {order}",
        *where.args,
        limit,
        offset,
    )
    total: int = rows[0]["total"]
    return [_task(row) for row in rows if row["id"] is not None], total


async def get_task(conn: Connection, task_id: UUID, *, lock: bool = False) -> TaskRead | None:
    """One task; `lock` holds it until the transaction ends (claims queue up behind it)."""
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(
        f"SELECT {_TASK_COLUMNS} FROM assessment.tasks t WHERE t.id = $1{suffix}",  # noqa: S608
        task_id,
    )
    return _task(row) if row else None


async def set_assignee(conn: Connection, *, task_id: UUID, assignee: str | None) -> TaskRead:
    """Give the task to `assignee` (None releases it) and bump its version."""
    row = await conn.fetchrow(
        "UPDATE assessment.tasks t SET assignee = $2,"  # noqa: S608 - constant columns
        " assigned_at = CASE WHEN $2::text IS NULL THEN NULL ELSE now() END,"
        f" version = version + 1, updated_at = now() WHERE t.id = $1 RETURNING {_TASK_COLUMNS}",
        task_id,
        assignee,
    )
    assert row is not None  # noqa: S101 - the caller holds the row's lock
    return _task(row)


async def add_history(
    conn: Connection,
    *,
    task_id: UUID,
    actor: str,
    action: str,
    assignee: str | None,
    version: int,
    previous: str | None = None,
) -> None:
    """Record who claimed, assigned, took over or released a task (and from whom)."""
    await conn.execute(
        "INSERT INTO assessment.task_history (task_id, actor, action, assignee, version,"
        " previous) VALUES ($1, $2, $3, $4, $5, $6)",
        task_id,
        actor,
        action,
        assignee,
        version,
        previous,
    )


async def metrics(conn: Connection, *, areas: Sequence[str] | None) -> dict[str, Any]:
    """Counts of open, overdue, escalated and unassigned tasks, and the newest event's time."""
    scope = "true" if areas is None else "t.area = ANY($1::text[])"
    args: list[Any] = [] if areas is None else [list(areas)]
    row = await conn.fetchrow(
        f"SELECT count(*) AS open_tasks, count(*) FILTER (WHERE {_OVERDUE}) AS overdue,"  # noqa: S608 - fixed fragments
        " count(*) FILTER (WHERE t.escalated_at IS NOT NULL) AS escalated,"
        " count(*) FILTER (WHERE t.assignee IS NULL) AS unassigned"
        f" FROM assessment.tasks t WHERE t.status = 'open' AND {scope}",
        *args,
    )
    kinds = await conn.fetch(
        f"SELECT kind, count(*) AS n FROM assessment.tasks t"  # noqa: S608 - fixed fragments
        f" WHERE t.status = 'open' AND {scope} GROUP BY kind",
        *args,
    )
    cases = await conn.fetchrow(
        f"SELECT count(*) AS cases, max(last_event_at) AS last_event_at"  # noqa: S608 - fixed
        f" FROM assessment.cases t WHERE {scope}",
        *args,
    )
    assert row is not None and cases is not None  # noqa: S101 - aggregates always return a row
    return dict(row) | dict(cases) | {"open_by_kind": {k["kind"]: k["n"] for k in kinds}}


# --- the case view --------------------------------------------------------------------------


async def case_by_reference(conn: Connection, reference: str) -> asyncpg.Record | None:
    """The read model's row for a case, with the newest event sequence recorded for it
    (`recorded_sequence`: the row's `standing` is current if it is the one applied)."""
    return await conn.fetchrow(
        "SELECT c.*, s.sequence AS recorded_sequence FROM assessment.cases c"
        " LEFT JOIN messaging.case_sequences s USING (referral_id) WHERE c.reference = $1",
        reference,
    )


async def cases_by_ids(conn: Connection, referral_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Read-model rows of several cases (linked referrals)."""
    return await conn.fetch(
        "SELECT * FROM assessment.cases WHERE referral_id = ANY($1::uuid[])", list(referral_ids)
    )


async def case_events(conn: Connection, referral_id: UUID) -> list[EventEnvelope]:
    """A case's lifecycle events in time order; one step's events, which share its time, in
    the order the workflow published them (their `sequence`)."""
    rows = await conn.fetch(
        "SELECT event_id, type, time, source, schema_version, data FROM assessment.case_events"
        " WHERE referral_id = $1 ORDER BY time, (data->>'sequence')::int, event_id",
        referral_id,
    )
    return [
        EventEnvelope(
            id=row["event_id"],
            type=row["type"],
            source=row["source"],
            time=row["time"],
            subject=str(referral_id),
            schemaversion=row["schema_version"],
            data=row["data"],
        )
        for row in rows
    ]


async def tasks_for_case(conn: Connection, referral_id: UUID) -> list[TaskRead]:
    """Every task of one case, oldest first."""
    rows = await conn.fetch(
        f"SELECT {_TASK_COLUMNS} FROM assessment.tasks t WHERE t.referral_id = $1"  # noqa: S608
        " ORDER BY t.created_at, t.id",
        referral_id,
    )
    return [_task(row) for row in rows]


# --- the projection -------------------------------------------------------------------------


async def record_event(conn: Connection, envelope: EventEnvelope) -> None:
    """Keep the event for the chronology (once, however often it is delivered)."""
    await projection.record_case_event(conn, envelope, schema="assessment")


async def advance_case(
    conn: Connection, *, referral_id: UUID, reference: str, stage: str, area: str, at: datetime
) -> bool:
    """Move the case to the event's stage and area unless a newer event already has."""
    newest = await projection.advance_case(
        conn,
        schema="assessment",
        referral_id=referral_id,
        reference=reference,
        stage=stage,
        area=area,
        at=at,
    )
    if not newest:
        return False
    # Tasks carry the case's current stage and area, so the inbox filters one table.
    await conn.execute(
        "UPDATE assessment.tasks SET stage = $2, area = $3, version = version + 1,"
        " updated_at = now() WHERE referral_id = $1 AND (stage, area) IS DISTINCT FROM ($2, $3)",
        referral_id,
        stage,
        area,
    )
    return True


async def set_case_origin(
    conn: Connection,
    *,
    referral_id: UUID,
    sector: str,
    concern_type: str,
    received_at: datetime,
    linked: Sequence[UUID],
) -> None:
    """What the referral said of itself (never changes, so any delivery may write it)."""
    await conn.execute(
        "UPDATE assessment.cases SET sector = $2, concern_type = $3, received_at = $4,"
        " linked_referral_ids = $5 WHERE referral_id = $1",
        referral_id,
        sector,
        concern_type,
        received_at,
        list(linked),
    )


async def set_case_outcome(
    conn: Connection, *, referral_id: UUID, outcome: str | None, closure_reason: str | None
) -> None:
    """The latest gateway outcome and closure reason."""
    await conn.execute(
        "UPDATE assessment.cases SET outcome = coalesce($2, outcome), closure_reason = $3"
        " WHERE referral_id = $1",
        referral_id,
        outcome,
        closure_reason,
    )


async def set_transfer(
    conn: Connection, *, referral_id: UUID, to_area: str | None, at: datetime | None
) -> None:
    """The area a transfer of the case waits on (None once answered, withdrawn or lapsed)."""
    await conn.execute(
        "UPDATE assessment.cases SET transfer_to = $2, transfer_requested_at = $3"
        " WHERE referral_id = $1",
        referral_id,
        to_area,
        at,
    )


async def incoming_transfers(conn: Connection, areas: Sequence[str] | None) -> list[asyncpg.Record]:
    """Cases waiting for one of `areas` (None: any area) to accept them, oldest request first."""
    return await conn.fetch(
        "SELECT referral_id, reference, stage, area AS from_area, transfer_to AS to_area,"
        " transfer_requested_at AS requested_at FROM assessment.cases"
        " WHERE transfer_to IS NOT NULL AND ($1::text[] IS NULL OR transfer_to = ANY($1))"
        " ORDER BY transfer_requested_at, reference",
        None if areas is None else list(areas),
    )


async def insert_task(
    conn: Connection,
    *,
    task_id: UUID,
    referral_id: UUID,
    kind: TaskKind,
    due_at: datetime | None,
    created_at: datetime,
    source_event_id: UUID,
) -> None:
    """Project a task for the case's current stage and area (the case row exists already).

    Its source event makes a redelivered or replayed event a no-op.
    """
    await conn.execute(
        "INSERT INTO assessment.tasks (id, referral_id, reference, kind, stage, area, sector,"
        " concern_type, due_at, created_at, source_event_id)"
        " SELECT $1, c.referral_id, c.reference, $3, c.stage, c.area,"
        " coalesce(c.sector, 'unknown'), coalesce(c.concern_type, 'unknown'), $4, $5, $6"
        " FROM assessment.cases c WHERE c.referral_id = $2"
        " ON CONFLICT (source_event_id) DO NOTHING",
        task_id,
        referral_id,
        str(kind),
        due_at,
        created_at,
        source_event_id,
    )


async def close_tasks(
    conn: Connection,
    *,
    referral_id: UUID,
    kinds: Sequence[TaskKind] | None,
    status: TaskStatus,
    at: datetime,
) -> None:
    """Close the case's open tasks (of `kinds`) that existed when the event happened.

    Only tasks created up to the event: replaying an old event never closes a newer task.
    """
    await conn.execute(
        "UPDATE assessment.tasks SET status = $2, closed_at = $3, version = version + 1,"
        " updated_at = now() WHERE referral_id = $1 AND status = 'open' AND created_at <= $3"
        " AND ($4::text[] IS NULL OR kind = ANY($4::text[]))",
        referral_id,
        str(status),
        at,
        None if kinds is None else [str(k) for k in kinds],
    )


async def flag_tasks(
    conn: Connection, *, referral_id: UUID, kinds: Sequence[TaskKind], flag: str, at: datetime
) -> None:
    """Mark open tasks reminded or escalated (once: a replay keeps the first time)."""
    column = {"reminded": "reminded_at", "escalated": "escalated_at"}[flag]
    await conn.execute(
        f"UPDATE assessment.tasks SET {column} = $2, version = version + 1, updated_at = now()"  # noqa: S608 - column from a fixed map
        f" WHERE referral_id = $1 AND status = 'open' AND created_at <= $2 AND {column} IS NULL"
        " AND kind = ANY($3::text[])",
        referral_id,
        at,
        [str(k) for k in kinds],
    )
