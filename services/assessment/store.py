"""SQL of the assessment service (schema `assessment`): its read model of tasks."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from safeguard.db.pool import Connection
from services.assessment.models import TaskRead


async def insert_task(
    conn: Connection,
    *,
    task_id: UUID,
    referral_id: UUID,
    reference: str,
    kind: str,
    stage: str,
    sector: str,
    concern_type: str,
    due_at: datetime | None,
    created_at: datetime,
    source_event_id: UUID,
) -> None:
    """Project a task; the event id makes a replayed event a no-op."""
    await conn.execute(
        "INSERT INTO assessment.tasks (id, referral_id, reference, kind, stage, sector,"
        " concern_type, due_at, created_at, source_event_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (source_event_id) DO NOTHING",
        task_id,
        referral_id,
        reference,
        kind,
        stage,
        sector,
        concern_type,
        due_at,
        created_at,
        source_event_id,
    )


async def list_tasks(conn: Connection, *, limit: int, offset: int) -> list[TaskRead]:
    """Tasks, soonest due first, then oldest."""
    rows = await conn.fetch(
        "SELECT id, referral_id, reference, kind, stage, sector, concern_type, due_at, created_at"
        " FROM assessment.tasks ORDER BY due_at NULLS LAST, created_at, id LIMIT $1 OFFSET $2",
        limit,
        offset,
    )
    return [TaskRead.model_validate(dict(row)) for row in rows]
