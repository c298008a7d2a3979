"""SQL of the dashboard's fact tables: tasks with due dates (statistics.tasks) and the stages a
case was in (statistics.stages), one row per task or stage visit of a referral.

Lifecycle events of one referral arrive in order (the topic is keyed by referral) and each
once (the consumer's ledger), so these steps may depend on what came before; inserts still
ignore a row already there, so a replay of the topic rebuilds the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from safeguard.db.pool import Connection


class TaskKind(StrEnum):
    """Work with a due date that the dashboard counts."""

    GATEWAY_ASSESSMENT = "gateway_assessment"
    REASSESSMENT = "reassessment"
    POLICE_REVIEW = "police_review"
    CONSENT = "consent"  # due: when the request expires unanswered
    CONSENT_REASSESSMENT = "consent_reassessment"
    SUPPORT_REVIEW = "support_review"
    POST_EXIT_REVIEW = "post_exit_review"


async def open_task(
    conn: Connection,
    *,
    referral_id: UUID,
    kind: TaskKind,
    due_at: datetime,
    opened_at: datetime,
    months: int | None = None,
) -> None:
    """A task falls due at `due_at` (nothing if the same one is already known)."""
    await conn.execute(
        "INSERT INTO statistics.tasks (referral_id, kind, due_at, months, opened_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        referral_id,
        kind.value,
        due_at,
        months,
        opened_at,
    )


async def finish_tasks(
    conn: Connection,
    *,
    referral_id: UUID,
    kinds: Sequence[TaskKind],
    at: datetime,
    outcome: str | None = None,
    months: int | None = None,
) -> None:
    """The open tasks of these kinds (of the review `months` after exit, if given) are done."""
    await conn.execute(
        "UPDATE statistics.tasks SET done_at = $3, outcome = $4 WHERE referral_id = $1"
        " AND kind = ANY($2::text[]) AND done_at IS NULL AND cancelled_at IS NULL"
        " AND ($5::integer IS NULL OR months = $5)",
        referral_id,
        [kind.value for kind in kinds],
        at,
        outcome,
        months,
    )


async def cancel_tasks(
    conn: Connection, *, referral_id: UUID, kinds: Sequence[TaskKind] | None, at: datetime
) -> None:
    """Open tasks (of these kinds; None: all) that will not be done: the case moved on."""
    await conn.execute(
        "UPDATE statistics.tasks SET cancelled_at = $3 WHERE referral_id = $1"
        " AND ($2::text[] IS NULL OR kind = ANY($2::text[]))"
        " AND done_at IS NULL AND cancelled_at IS NULL",
        referral_id,
        None if kinds is None else [kind.value for kind in kinds],
        at,
    )


async def enter_stage(conn: Connection, *, referral_id: UUID, stage: str, at: datetime) -> None:
    """The case is in `stage` from `at`: the stage it was in ends then, unless it is the same
    stage or began later (an older event replayed after a newer one). One step's events share
    its time: the last of them says where the step left the case. One statement, as it runs
    for every event."""
    await conn.execute(_ENTER_STAGE, referral_id, stage, at)


# `current`: the open visit. `ended`: it ends at $3 if it is another stage begun earlier.
# `renamed`: another stage begun at the same instant takes the new stage. A new visit opens
# when there was none or one ended (the unique index allows one open visit per referral, and
# `ended` has closed the old one before the insert reads it).
_ENTER_STAGE = """
WITH current AS (
    SELECT entered_at, stage FROM statistics.stages WHERE referral_id = $1 AND left_at IS NULL
), ended AS (
    UPDATE statistics.stages s SET left_at = $3 FROM current c
    WHERE s.referral_id = $1 AND s.entered_at = c.entered_at
      AND c.stage <> $2 AND c.entered_at < $3
    RETURNING s.entered_at
), renamed AS (
    UPDATE statistics.stages s SET stage = $2 FROM current c
    WHERE s.referral_id = $1 AND s.entered_at = c.entered_at
      AND c.stage <> $2 AND c.entered_at = $3
    RETURNING s.entered_at
)
INSERT INTO statistics.stages (referral_id, entered_at, stage)
SELECT $1, $3, $2
WHERE (NOT EXISTS (SELECT FROM current) OR EXISTS (SELECT FROM ended))
  AND NOT EXISTS (SELECT FROM renamed)
ON CONFLICT DO NOTHING
"""
