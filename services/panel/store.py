"""SQL of the panel's read model: cases, their events and plan items, the work queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from safeguard import projection
from safeguard.codes import Stage
from safeguard.db.pool import Connection
from safeguard.events.envelope import EventEnvelope

# Every column a projection may set besides stage and area (names are never user input).
CASE_COLUMNS = frozenset(
    {
        "received_at",
        "transfer_to",
        "transfer_requested_at",
        "consent_route",
        "adopted",
        "plan_revision",
        "due_kind",
        "due_at",
        "due_months",
        "escalated_at",
        "exited_at",
        "exit_reason",
        "review_6_months_at",
        "review_12_months_at",
        "post_exit_reviews",
        "closure_reason",
    }
)

# What each Channel stage waits for.
QUEUE_KINDS = {
    "CONSENT_PENDING": "consent",
    "CONSENT_REFUSED": "consent_reassessment",
    "PANEL_CONSIDERATION": "panel",
    "SUPPORT_ACTIVE": "support_review",
    "POST_EXIT_REVIEW": "post_exit",
}
_KIND_SQL = "CASE c.stage " + " ".join(f"WHEN '{s}' THEN '{k}'" for s, k in QUEUE_KINDS.items())
_KIND_SQL += " END"
# Overdue: the workflow escalated it, or its due date has passed.
_OVERDUE = "(c.escalated_at IS NOT NULL OR coalesce(c.due_at < now(), false))"
_QUEUE_COLUMNS = (
    f"c.referral_id, c.reference, c.area, c.stage, {_KIND_SQL} AS kind, c.due_kind, c.due_at,"
    f" c.due_months, c.escalated_at, {_OVERDUE} AS overdue"
)
# A closed (or erased) case leaves panel members' sight: they see cases while they are open.
_ENDED_STAGES = [Stage.CLOSED.value, Stage.REDACTED.value]
# Panel members see an open case while they sit on a panel of the case's area (a transfer
# ends it) that has it on the agenda of a meeting to come or held in the last 90 days.
# Monthly reviews keep an adopted case on agendas; a case the panel no longer discusses
# leaves members' view (the README's panel section states the rule).
_RECENT_MEETING = "m.scheduled_for > now() - interval '90 days'"
ON_MY_AGENDAS = (
    "EXISTS (SELECT 1 FROM panel.agenda_items ai JOIN panel.meetings m ON m.id = ai.meeting_id"  # noqa: S608 - fixed fragments
    " JOIN panel.panels p ON p.id = m.panel_id AND p.area = c.area"
    " JOIN panel.members pm ON pm.panel_id = m.panel_id"
    f" WHERE ai.referral_id = c.referral_id AND pm.subject = {{}} AND {_RECENT_MEETING})"
)


@dataclass(frozen=True)
class Column:
    """A patch value that copies another read-model column of the same case."""

    name: str


@dataclass(frozen=True)
class QueueQuery:
    """Filters of the work queue; `areas` None is every area, `member` limits to agendas."""

    areas: Sequence[str] | None
    member: str | None = None
    kinds: Sequence[str] = ()
    overdue: bool | None = None


async def case_by_reference(conn: Connection, reference: str) -> asyncpg.Record | None:
    """The read model's row for a case, with the newest event sequence recorded for it
    (`recorded_sequence`: the row's `standing` is current if it is the one applied)."""
    return await conn.fetchrow(
        "SELECT c.*, s.sequence AS recorded_sequence FROM panel.cases c"
        " LEFT JOIN messaging.case_sequences s USING (referral_id) WHERE c.reference = $1",
        reference,
    )


async def incoming_transfers(conn: Connection, areas: Sequence[str] | None) -> list[asyncpg.Record]:
    """Cases waiting for one of `areas` (None: any area) to accept them, oldest request first."""
    return await conn.fetch(
        "SELECT referral_id, reference, stage, area AS from_area, transfer_to AS to_area,"
        " transfer_requested_at AS requested_at FROM panel.cases"
        " WHERE transfer_to IS NOT NULL AND ($1::text[] IS NULL OR transfer_to = ANY($1))"
        " ORDER BY transfer_requested_at, reference",
        None if areas is None else list(areas),
    )


async def case_by_id(conn: Connection, referral_id: UUID) -> asyncpg.Record | None:
    """The read model's row for a case, by referral id."""
    return await conn.fetchrow("SELECT * FROM panel.cases WHERE referral_id = $1", referral_id)


async def seen_through_panel(conn: Connection, panel_id: UUID) -> list[UUID]:
    """The cases a member of the panel sees through it (the rule of ON_MY_AGENDAS)."""
    rows = await conn.fetch(
        "SELECT DISTINCT c.referral_id FROM panel.agenda_items ai"  # noqa: S608 - fixed fragment
        " JOIN panel.meetings m ON m.id = ai.meeting_id"
        " JOIN panel.panels p ON p.id = m.panel_id"
        " JOIN panel.cases c ON c.referral_id = ai.referral_id AND c.area = p.area"
        f" WHERE m.panel_id = $1 AND {_RECENT_MEETING} AND c.stage <> ALL($2::text[])"
        " ORDER BY c.referral_id",
        panel_id,
        _ENDED_STAGES,
    )
    return [row["referral_id"] for row in rows]


async def member_sees(conn: Connection, *, subject: str, referral_id: UUID) -> bool:
    """Whether the case is open and on an agenda of a panel `subject` sits on."""
    found: bool = await conn.fetchval(
        f"SELECT {ON_MY_AGENDAS.format('$2')} FROM panel.cases c"  # noqa: S608 - fixed fragment
        " WHERE c.referral_id = $1 AND c.stage <> ALL($3::text[])",
        referral_id,
        subject,
        _ENDED_STAGES,
    )
    return bool(found)


async def list_queue(
    conn: Connection, query: QueueQuery, *, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """Cases waiting in Channel stages, soonest due first; and how many in all."""
    clauses = ["c.stage = ANY($1::text[])"]
    args: list[Any] = [list(QUEUE_KINDS)]
    if query.areas is not None:
        args.append(list(query.areas))
        clauses.append(f"c.area = ANY(${len(args)}::text[])")
    if query.member is not None:
        args.append(query.member)
        clauses.append(ON_MY_AGENDAS.format(f"${len(args)}"))
    if query.kinds:
        args.append(list(query.kinds))
        clauses.append(f"{_KIND_SQL} = ANY(${len(args)}::text[])")
    if query.overdue is not None:
        clauses.append(_OVERDUE if query.overdue else f"NOT {_OVERDUE}")
    where = " AND ".join(clauses)
    rows = await conn.fetch(
        f"SELECT {_QUEUE_COLUMNS} FROM panel.cases c WHERE {where}"  # noqa: S608 - fixed fragments; values are parameters
        f" ORDER BY c.due_at NULLS LAST, c.reference"
        f" LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        *args,
        limit,
        offset,
    )
    total: int = await conn.fetchval(
        f"SELECT count(*) FROM panel.cases c WHERE {where}",  # noqa: S608 - as above
        *args,
    )
    return list(rows), total


async def metrics(conn: Connection, *, areas: Sequence[str] | None) -> dict[str, Any]:
    """Counts of cases waiting by kind and overdue, panels and meetings: no case content."""
    scope = "true" if areas is None else "c.area = ANY($1::text[])"
    args: list[Any] = [] if areas is None else [list(areas)]
    stages = f"${len(args) + 1}::text[]"
    kinds = await conn.fetch(
        f"SELECT {_KIND_SQL} AS kind, count(*) AS n, count(*) FILTER (WHERE {_OVERDUE}) AS late"  # noqa: S608 - fixed fragments
        f" FROM panel.cases c WHERE c.stage = ANY({stages}) AND {scope} GROUP BY 1",
        *args,
        list(QUEUE_KINDS),
    )
    cases = await conn.fetchrow(
        "SELECT count(*) AS cases, max(last_event_at) AS last_event_at"  # noqa: S608 - fixed
        f" FROM panel.cases c WHERE {scope}",
        *args,
    )
    panels = await conn.fetchrow(
        "SELECT count(DISTINCT c.id) AS panels, count(m.id) AS meetings FROM panel.panels c"  # noqa: S608 - fixed
        f" LEFT JOIN panel.meetings m ON m.panel_id = c.id WHERE {scope}",
        *args,
    )
    assert cases is not None and panels is not None  # noqa: S101 - aggregates return a row
    return (
        dict(cases)
        | dict(panels)
        | {
            "waiting_by_kind": {row["kind"]: row["n"] for row in kinds},
            "overdue": sum(row["late"] for row in kinds),
        }
    )


async def case_events(conn: Connection, referral_id: UUID) -> list[EventEnvelope]:
    """A case's lifecycle events in time order; one step's events, which share its time, in
    the order the workflow published them (their `sequence`)."""
    rows = await conn.fetch(
        "SELECT event_id, type, time, source, schema_version, data FROM panel.case_events"
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


# --- the projection -------------------------------------------------------------------------


async def record_event(conn: Connection, envelope: EventEnvelope) -> None:
    """Keep the event for the chronology (once, however often it is delivered)."""
    await projection.record_case_event(conn, envelope, schema="panel")


async def advance_case(
    conn: Connection, *, referral_id: UUID, reference: str, stage: str, area: str, at: datetime
) -> bool:
    """Move the case to the event's stage and area unless a newer event already has."""
    return await projection.advance_case(
        conn,
        schema="panel",
        referral_id=referral_id,
        reference=reference,
        stage=stage,
        area=area,
        at=at,
    )


async def set_case(conn: Connection, referral_id: UUID, columns: dict[str, Any]) -> None:
    """Set read-model columns of a case (names from `CASE_COLUMNS` only)."""
    copied = {name: value.name for name, value in columns.items() if isinstance(value, Column)}
    unknown = (columns.keys() | copied.values()) - CASE_COLUMNS
    if unknown:
        raise ValueError(f"not read-model columns: {sorted(unknown)}")
    names = sorted(columns.keys() - copied.keys())
    assignments = [f"{name} = ${i + 2}" for i, name in enumerate(names)]
    assignments += [f"{name} = {source}" for name, source in sorted(copied.items())]
    await conn.execute(
        f"UPDATE panel.cases SET {', '.join(assignments)} WHERE referral_id = $1",  # noqa: S608 - names checked above
        referral_id,
        *(columns[name] for name in names),
    )


async def add_plan_items(
    conn: Connection,
    *,
    referral_id: UUID,
    revision: int,
    agreed_at: datetime,
    items: Sequence[tuple[UUID, str, str]],
) -> None:
    """Items of one plan revision (id, intervention, provider), in the plan's order."""
    await conn.executemany(
        "INSERT INTO panel.plan_items"
        " (item_id, referral_id, revision, position, intervention, provider_id, agreed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (item_id) DO NOTHING",
        [
            (item_id, referral_id, revision, position, intervention, provider, agreed_at)
            for position, (item_id, intervention, provider) in enumerate(items)
        ],
    )
