"""The part of a read model every service projects the same way from lifecycle events.

Each service keeps `<schema>.case_events` (the chronology) and `<schema>.cases` (stage, area and
the time of the newest event, and where the case stood after its newest sequenced event). Events
can arrive again or out of order on a replay, so an event is kept once and only a newer event
moves a case. The workflow's recording activity notes each case's newest sequence beside the
outbox row (`record_sequence`), so a view can tell whether its read model is behind the case.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from safeguard.db.pool import Connection
from safeguard.events.contracts import DomainEvent
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


async def apply_standing(conn: Connection, event: DomainEvent, *, schema: str) -> None:
    """Keep where the case stood after the event, unless a later event's standing is kept."""
    if event.sequence is None or event.standing is None:
        return  # An event of an earlier release, or a notice from another service.
    await conn.execute(
        f"UPDATE {_schema(schema)}.cases SET standing = $2, standing_sequence = $3"  # noqa: S608
        " WHERE referral_id = $1 AND (standing_sequence IS NULL OR standing_sequence < $3)",
        event.referral_id,
        event.standing.model_dump(mode="json"),
        event.sequence,
    )


async def record_sequence(conn: Connection, envelope: EventEnvelope) -> None:
    """Note the case's newest recorded event sequence (in the outbox row's transaction).

    The last recorded, not the highest: after a workflow reset numbers start lower, and a
    read model holding a higher one then differs from it, so views ask the workflow."""
    sequence = envelope.data.get("sequence")
    if sequence is None:
        return
    await conn.execute(
        "INSERT INTO messaging.case_sequences (referral_id, sequence) VALUES ($1, $2)"
        " ON CONFLICT (referral_id) DO UPDATE"
        " SET sequence = EXCLUDED.sequence, recorded_at = now()",
        UUID(envelope.subject),
        sequence,
    )
