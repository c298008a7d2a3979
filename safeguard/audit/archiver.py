"""The archiver: stores histories before Temporal forgets them, and erases them on redaction.

Each run is archived once it has ended (the sweep, `safeguard.audit.sweep`), and a case's runs
again when it closes (its current run as it stands).

On erasure the encrypted histories are replaced by their timeline without free text, the
workflow runs are deleted from Temporal, and the audit log records both; the log itself
holds no personal data and stays whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.history.v1 import History
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from safeguard.audit import archive
from safeguard.audit.cases import WAKE_CHANNEL, AuditedCase
from safeguard.audit.log.entries import Entry, append
from safeguard.audit.payloads import decoded_history
from safeguard.audit.runs import ARCHIVER, keep_runs
from safeguard.audit.sweep import sweep
from safeguard.audit.timeline import erased, timeline
from safeguard.db.listening import keep_listening
from safeguard.db.pool import Connection, Pool
from safeguard.settings import Settings
from safeguard.temporal import codec_for

logger = logging.getLogger(__name__)
# A redacted case's last run is still finishing when the event arrives: look again shortly.
_STILL_RUNNING_RETRY = timedelta(seconds=2)
_FAILURE_RETRY = timedelta(seconds=30)


class StillRunningError(Exception):
    """The case's workflow has not finished yet."""


async def archive_case(conn: Connection, client: Client, case: AuditedCase) -> int:
    """Archive every run Temporal still holds that was not archived after it ended; return how
    many runs were stored."""
    archived = await archive.archived_run_ids(conn, case.referral_id)
    done = {run_id for run_id, ended in archived.items() if ended}
    runs = await archive.fetch_runs(client, case.workflow_id, stop_at=done)
    return (await keep_runs(conn, case, runs, trigger="closure")).runs


async def erase_case(
    conn: Connection,
    client: Client,
    settings: Settings,
    case: AuditedCase,
    personal: frozenset[str],
) -> None:
    """Keep the timeline without free text; drop the histories here and in Temporal."""
    latest = await archive.fetch_runs(client, case.workflow_id)
    if latest and not archive.is_closed(latest[-1]):
        raise StillRunningError(case.reference)
    if latest:
        await archive.store_runs(conn, case.referral_id, latest)
    runs = await archive.load_runs(conn, case.referral_id)
    codec = codec_for(settings)
    decoded = [list((await decoded_history(_proto(run), codec)).events) for run in runs]
    kept = [
        entry.model_dump(mode="json") for entry in erased(timeline(decoded, personal), personal)
    ]
    async with conn.transaction():
        await conn.execute(
            "UPDATE audit.cases SET erased_timeline = $2 WHERE referral_id = $1",
            case.referral_id,
            kept,
        )
        dropped = await archive.drop_runs(conn, case.referral_id)
        await append(
            conn,
            Entry(
                kind="audit",
                action="history.erased",
                actor=ARCHIVER,
                role="system",
                referral_id=case.referral_id,
                detail={"runs": dropped, "timeline_entries": len(kept)},
            ),
        )
    for run in latest:
        await _delete_from_temporal(client, run.workflow_id, run.run_id)


def _proto(run: WorkflowHistory) -> History:
    return History(events=run.events)


async def _delete_from_temporal(client: Client, workflow_id: str, run_id: str) -> None:
    with contextlib.suppress(RPCError):
        await client.workflow_service.delete_workflow_execution(
            DeleteWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            )
        )


class Archiver:
    """Works through cases whose closure or redaction is due, woken by NOTIFY or a poll."""

    def __init__(
        self, *, pool: Pool, client: Client, settings: Settings, personal: frozenset[str]
    ) -> None:
        # The names of the free-text input fields (the workflow's `PERSONAL_FIELDS`).
        self._personal = personal
        self._pool = pool
        self._client = client
        self._settings = settings
        self._wake = asyncio.Event()
        self._next_sweep = 0.0  # loop time: the first sweep comes at once

    async def run(self, *, poll_seconds: float = 5.0) -> None:
        """Archive and erase until cancelled (listening again after the database restarts)."""

        async def archive(lost: asyncio.Event) -> None:
            while not lost.is_set():
                self._wake.clear()
                wait = poll_seconds  # after a failure too: one try per poll, not a busy loop
                try:
                    await self.run_once()
                    await self._sweep_when_due()
                    wait = min(poll_seconds, self._next_sweep - asyncio.get_running_loop().time())
                except Exception as error:  # PostgreSQL or Temporal unavailable
                    logger.warning("archiver paused (%s)", type(error).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(0.0, wait))

        await keep_listening(
            self._pool,
            channel=WAKE_CHANNEL,
            on_notify=self._wake.set,
            body=archive,
            what="archiver",
        )

    async def _sweep_when_due(self) -> None:
        """Archive runs that ended, every `audit_sweep_seconds` (a failed sweep is tried again
        at the next poll: it stays due)."""
        now = asyncio.get_running_loop().time()
        if now < self._next_sweep:
            return
        await sweep(self._pool, self._client)
        self._next_sweep = now + self._settings.audit_sweep_seconds

    async def run_once(self) -> int:
        """Handle every due case once; return how many were done."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT referral_id, reference, workflow_id, opened_at, closed_at, closure_reason,"
                " redacted_at, erased_timeline FROM audit.cases"
                " WHERE archive_due <= now() ORDER BY archive_due LIMIT 50"
            )
            done = 0
            for row in rows:
                case = AuditedCase.model_validate(dict(row))
                retry = await self._handle(conn, case)
                # NULL: done; otherwise look again after `retry`.
                await conn.execute(
                    "UPDATE audit.cases SET archive_due = now() + $2::interval"
                    " WHERE referral_id = $1",
                    case.referral_id,
                    retry,
                )
                done += retry is None
        return done

    async def _handle(self, conn: Connection, case: AuditedCase) -> timedelta | None:
        try:
            if case.redacted_at is not None:
                await erase_case(conn, self._client, self._settings, case, self._personal)
            else:
                await archive_case(conn, self._client, case)
        except StillRunningError:
            return _STILL_RUNNING_RETRY
        except RPCError as error:
            if error.status == RPCStatusCode.UNAVAILABLE:
                raise
            logger.warning("archiving %s failed (%s)", case.reference, error.status)
            return _FAILURE_RETRY
        return None
