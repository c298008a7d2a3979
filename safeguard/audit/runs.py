"""Storing a case's runs in the archive, recorded in the audit log, and saying so when one is lost.

A run is lost when Temporal deleted it (its retention ended) before the archiver stored it:
the run after it still names it as its predecessor. That gap is recorded where the archiver
finds it, once, when it stores the run after the gap: an error in the log, the
`safeguard_audit_runs_lost` metric and a `history.run_lost` audit-log entry. Auditors reading
the case are told too (`casebook.CaseHistory.missing_runs`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from temporalio.client import WorkflowHistory

from safeguard.audit import archive
from safeguard.audit.cases import AuditedCase
from safeguard.audit.log.entries import Entry, append
from safeguard.db.pool import Connection
from safeguard.metrics import AUDIT_RUNS_ARCHIVED, AUDIT_RUNS_LOST

logger = logging.getLogger(__name__)
ARCHIVER = "audit-archiver"


@dataclass(frozen=True)
class Kept:
    """What one call stored, and the runs it found lost."""

    runs: int
    events: int
    lost: list[str]


def lost_before(runs: list[WorkflowHistory], archived: set[str]) -> list[str]:
    """Predecessors of runs not yet archived that are neither archived nor among `runs`."""
    held = archived | {run.run_id for run in runs}
    new = [run for run in runs if run.run_id not in archived]
    previous = [archive.previous_run_id(run) for run in new]
    return [run_id for run_id in previous if run_id is not None and run_id not in held]


async def keep_runs(
    conn: Connection, case: AuditedCase, runs: list[WorkflowHistory], *, trigger: str
) -> Kept:
    """Store `runs` (oldest first) and record it, in one transaction; a redacted case's runs
    are not stored again (its erasure has dropped them or is about to)."""
    async with conn.transaction():
        redacted = await conn.fetchval(
            "SELECT redacted_at IS NOT NULL FROM audit.cases WHERE referral_id = $1 FOR SHARE",
            case.referral_id,
        )
        if redacted:
            return Kept(0, 0, [])
        archived = await archive.archived_run_ids(conn, case.referral_id)
        lost = lost_before(runs, set(archived))
        stored = await archive.store_runs(conn, case.referral_id, runs)
        kept = Kept(stored, sum(len(run.events) for run in runs), lost)
        await _record(conn, case, kept, trigger)
    AUDIT_RUNS_ARCHIVED.labels(trigger).inc(stored)
    for run_id in lost:
        AUDIT_RUNS_LOST.inc()
        logger.error(
            "run %s of %s was deleted by Temporal before it was archived: the case's history"
            " has a gap (found by the %s)",
            run_id,
            case.workflow_id,
            trigger,
        )
    return kept


async def _record(conn: Connection, case: AuditedCase, kept: Kept, trigger: str) -> None:
    await append(
        conn,
        Entry(
            kind="audit",
            action="history.archived",
            actor=ARCHIVER,
            role="system",
            referral_id=case.referral_id,
            detail={"runs": kept.runs, "events": kept.events, "trigger": trigger},
        ),
    )
    for run_id in kept.lost:
        await append(
            conn,
            Entry(
                kind="audit",
                action="history.run_lost",
                actor=ARCHIVER,
                role="system",
                referral_id=case.referral_id,
                detail={"workflow_id": case.workflow_id, "run_id": run_id, "trigger": trigger},
            ),
        )
