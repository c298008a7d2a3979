"""The part of a read model every service projects the same way from lifecycle events.

Each service keeps `<schema>.case_events` (the chronology) and `<schema>.cases` (stage, area and
the time of the newest event). Events can arrive again or out of order on a replay, so an event
is kept once and only a newer event moves a case.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from safeguard.db.pool import Connection
from safeguard.events.envelope import EventEnvelope


def _schema(name: str) -> str:
    # The schema is a constant of the calling service, never input; checked all the same.
    if not name.isidentifier():
        raise ValueError(f"not a schema name: {name!r}")
    return name


async def record_case_event(conn: Connection, envelope: EventEnvelope, *, schema: str) -> None:
    """Keep the event for the chronology (once, however often it is delivered)."""
    await conn.execute(
        f"INSERT INTO {_schema(schema)}.case_events"  # noqa: S608
        " (event_id, referral_id, type, time, source, schema_version, data)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING",
        envelope.id,
        UUID(envelope.subject),
        envelope.type,
        envelope.time,
        envelope.source,
        envelope.schemaversion,
        envelope.data,
    )


async def advance_case(
    conn: Connection,
    *,
    schema: str,
    referral_id: UUID,
    reference: str,
    stage: str,
    area: str,
    at: datetime,
) -> bool:
    """Move the case to the event's stage and area unless a newer event already has."""
    cases = f"{_schema(schema)}.cases"
    newest = await conn.fetchval(
        f"INSERT INTO {cases} (referral_id, reference, area, stage, last_event_at)"  # noqa: S608
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (referral_id) DO UPDATE"
        " SET area = EXCLUDED.area, stage = EXCLUDED.stage,"
        " last_event_at = EXCLUDED.last_event_at, updated_at = now()"
        f" WHERE {cases}.last_event_at <= EXCLUDED.last_event_at RETURNING true",
        referral_id,
        reference,
        area,
        stage,
        at,
    )
    return bool(newest)
