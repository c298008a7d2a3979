"""The sweep: each run that has ended is archived while Temporal still holds it.

A case's workflow continues as new when its history grows long, and Temporal deletes every
ended run once the namespace's retention has passed, whether or not the case has closed; so
runs cannot wait for the case's closure to be archived. The sweep lists, from Temporal's
visibility store, the runs that ended within the retention period and archives each one the
archive lacks, with the runs before it that it lacks too (followed through the histories, not
visibility). It keeps no state: listing a run again costs one lookup, and a run it missed (the
visibility store lags, the audit store has not heard of the case yet, an outage) is taken on a
later sweep, as long as Temporal still holds it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError, RPCStatusCode

from safeguard.audit import archive
from safeguard.audit.cases import AuditedCase
from safeguard.audit.runs import keep_runs
from safeguard.db.pool import Connection, Pool

logger = logging.getLogger(__name__)
# Temporal deletes a run up to its retention timer's jitter (30 minutes by default) after the
# retention period: look back a little further than the period itself.
_MARGIN = timedelta(hours=1)
_COLUMNS = (
    "referral_id, reference, workflow_id, opened_at, closed_at, closure_reason, redacted_at,"
    " erased_timeline"
)


async def sweep(pool: Pool, client: Client) -> int:
    """Archive every ended run of a known, unredacted case the archive lacks; return how many
    runs were stored."""
    ended = await _ended_runs(client, datetime.now(UTC) - await retention(client) - _MARGIN)
    stored = 0
    async with pool.acquire() as conn:
        for case in await _cases(conn, list(ended)):
            try:
                stored += await _sweep_case(conn, client, case, ended[case.workflow_id])
            except RPCError as error:
                if error.status == RPCStatusCode.UNAVAILABLE:
                    raise
                logger.warning("sweeping %s failed (%s)", case.reference, error.status)
    return stored


async def retention(client: Client) -> timedelta:
    """How long the namespace keeps an ended run."""
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace)
    )
    return described.config.workflow_execution_retention_ttl.ToTimedelta()


async def _ended_runs(client: Client, since: datetime) -> dict[str, list[WorkflowExecution]]:
    """Runs that ended since `since`, by workflow id, newest first."""
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ended: dict[str, list[WorkflowExecution]] = defaultdict(list)
    async for execution in client.list_workflows(f'CloseTime >= "{stamp}"'):
        ended[execution.id].append(execution)
    for runs in ended.values():
        runs.sort(key=lambda run: run.close_time or since, reverse=True)
    return ended


async def _cases(conn: Connection, workflow_ids: list[str]) -> list[AuditedCase]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM audit.cases WHERE workflow_id = ANY($1::text[])"  # noqa: S608 - fixed column list
        " AND redacted_at IS NULL",
        workflow_ids,
    )
    return [AuditedCase.model_validate(dict(row)) for row in rows]


async def _sweep_case(
    conn: Connection, client: Client, case: AuditedCase, ended: list[WorkflowExecution]
) -> int:
    archived = await archive.archived_run_ids(conn, case.referral_id)
    stored = 0
    for execution in ended:  # newest first: one walk back stores the older ones too
        if archived.get(execution.run_id):
            continue  # stored after it ended: it cannot change
        done = {run_id for run_id, ended_when_stored in archived.items() if ended_when_stored}
        runs = await archive.fetch_runs(
            client, case.workflow_id, run_id=execution.run_id, stop_at=done
        )
        if not runs:
            # Deleted since it was listed: the chain from the current run shows the gap, and
            # keep_runs records it (once: the current run is archived with it).
            runs = await archive.fetch_runs(client, case.workflow_id, stop_at=done)
        if not runs:
            logger.warning("run %s of %s ended and is gone", execution.run_id, case.workflow_id)
            continue
        kept = await keep_runs(conn, case, runs, trigger="sweep")
        archived.update({run.run_id: archive.is_closed(run) for run in runs})
        stored += kept.runs
    return stored
