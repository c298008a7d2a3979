"""Case steps that never reach the workflow, kept in the audit log, and the merged timeline.

Services record such a step (a task claimed, a meeting scheduled, a contact with a provider)
with `record_action`, in the same transaction as their own write, so nothing is done unrecorded.
A step that concerns several cases (a meeting with an agenda of cases) is written once per case:
each case then finds it by its own referral id, the one indexed column every form of the log
keeps, with no search inside `detail`. A step that concerns no case yet (a new panel) is
written once without one.

`detail` holds ids, codes and times only: the log outlives every erasure.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Sequence
from datetime import date, time
from typing import Any
from uuid import UUID

from temporalio.converter import DataConverter

from safeguard.audit.casebook import CaseHistory, case_timeline
from safeguard.audit.log.entries import Entry, append
from safeguard.audit.timeline import TimelineEntry
from safeguard.auth.staff import StaffPrincipal
from safeguard.db.pool import Connection, Pool

# The workflow's record_event activity logs each event it emits under this actor: those steps
# are in the workflow history already, with their human actor, so the timeline takes them there.
WORKFLOW_ACTOR = "case-workflow"


async def record_action(
    conn: Connection,
    principal: StaffPrincipal,
    action: str,
    referral_ids: Sequence[UUID],
    **detail: Any,
) -> None:
    """Log a step `principal` took: one entry per case it concerns (none: one without a case)."""
    concerned: list[UUID | None] = list(dict.fromkeys(referral_ids)) or [None]
    # Plain JSON values (ids and dates as text), whatever the log's writer makes of others.
    plain = json.loads(json.dumps(detail, default=_text))
    for referral_id in concerned:
        await append(
            conn,
            Entry(
                kind="action",
                action=action,
                actor=principal.subject,
                role=str(principal.role),
                referral_id=referral_id,
                detail=plain,
            ),
        )


def _text(value: Any) -> str:
    """A non-JSON value as text: times in ISO 8601, ids as they print."""
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


async def case_actions(conn: Connection, referral_id: UUID) -> list[TimelineEntry]:
    """The case's steps as the audit log holds them, oldest first."""
    # The one query against the log's table: repoint it here when the table changes.
    rows = await conn.fetch(
        "SELECT at, action, actor, role, detail FROM audit.log_entries"
        " WHERE referral_id = $1 AND kind = 'action' AND actor <> $2 ORDER BY at",
        referral_id,
        WORKFLOW_ACTOR,
    )
    return [
        TimelineEntry(
            at=row["at"],
            kind="action",
            action=row["action"],
            actor_id=row["actor"],
            actor_role=row["role"],
            detail=row["detail"],
            source="audit_log",
        )
        for row in rows
    ]


def merged(history: list[TimelineEntry], actions: list[TimelineEntry]) -> list[TimelineEntry]:
    """Both timelines in time order; each keeps its own order, the history first on a tie."""
    return list(heapq.merge(history, actions, key=lambda entry: entry.at))


async def complete_timeline(
    pool: Pool,
    history: CaseHistory,
    converter: DataConverter,
    *,
    police_only: bool,
    personal: frozenset[str],
) -> list[TimelineEntry]:
    """The case's timeline from its workflow history (or erased record) and the audit log.

    The log's entries carry no police-only field (services write ids and codes only), so
    they need no filtering for a reader who may not see those fields.
    """
    entries = await case_timeline(history, converter, police_only=police_only, personal=personal)
    if history.case is None:
        # The audit store has not yet heard of the case (its first event is on its way):
        # without its referral id there is no log to read, and the history stands alone.
        return entries
    # A connection only for the query: decoding the history above may wait on the codec.
    async with pool.acquire() as conn:
        actions = await case_actions(conn, history.case.referral_id)
    return merged(entries, actions)
