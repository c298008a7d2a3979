"""A Temporal dev server of the test's own that deletes ended runs seconds after they end.

The session's server keeps the default namespace's 24 hours. Temporal refuses a local
namespace retention under an hour (`system.namespaceMinRetentionLocal`) and spreads each
deletion over up to 30 minutes more (`history.retentionTimerJitterDuration`); both are
dynamic config, lowered here, and the namespace cache is refreshed every second so the new
retention applies to the runs that end after it is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import EventType
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from safeguard.codes import Role, Stage
from safeguard.settings import Settings
from safeguard.stack.temporal import temporal_binary
from safeguard.temporal import SEARCH_ATTRIBUTES, data_converter_for
from tests.helpers import assert_eventually
from workflows.referral.actions import Actor, TransferInput
from workflows.referral.workflows import ReferralWorkflow

_DYNAMIC_CONFIG = {
    "system.namespaceMinRetentionLocal": '"1s"',
    "history.retentionTimerJitterDuration": '"1s"',
    "system.namespaceCacheRefreshInterval": '"1s"',
}


@asynccontextmanager
async def short_retention(retention: timedelta) -> AsyncIterator[WorkflowEnvironment]:
    """The server, its default namespace keeping ended runs for `retention` only."""
    extra = [
        arg
        for key, value in _DYNAMIC_CONFIG.items()
        for arg in ("--dynamic-config-value", f"{key}={value}")
    ]
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        dev_server_extra_args=extra,
        data_converter=data_converter_for(Settings(environment="test")),
        search_attributes=SEARCH_ATTRIBUTES,
    )
    try:
        await env.client.workflow_service.update_namespace(
            UpdateNamespaceRequest(
                namespace=env.client.namespace,
                config=NamespaceConfig(
                    workflow_execution_retention_ttl=Duration(
                        seconds=int(retention.total_seconds())
                    )
                ),
            )
        )
        described = await env.client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=env.client.namespace)
        )
        assert described.config.workflow_execution_retention_ttl.ToTimedelta() == retention
        await asyncio.sleep(2)  # two refreshes of every service's namespace cache
        yield env
    finally:
        await env.shutdown()


async def gone(client: Client, workflow_id: str, run_id: str) -> bool:
    """Whether Temporal has deleted the run."""
    try:
        await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return True
        raise
    return False


async def end_first_run(client: Client, handle: WorkflowHandle[Any, Any]) -> str:
    """Take one step on a case started with `history_limit=1`, so its first run continues as
    new; return that run's id once it has ended."""
    await assert_eventually(lambda: _waiting(handle))
    first = (await handle.describe()).run_id
    assert first is not None
    chair = Actor(id="chair-3", role=Role.CHANNEL_CHAIR)
    transfer = TransferInput(actor=chair, to_area="W06000015", reason="Family moved.")
    await handle.execute_update(ReferralWorkflow.transfer_case, transfer)
    first_run = client.get_workflow_handle(handle.id, run_id=first)

    async def ended() -> bool:
        return (await first_run.describe()).close_time is not None

    await assert_eventually(ended, within=60)
    return first


async def _waiting(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the case has opened and its workflow waits for a step. A step taken while the
    case still publishes its opening (its stage is already set) is seen before the workflow
    waits, and does not make it continue as new."""
    status = await handle.query(ReferralWorkflow.status)
    described = (await handle.describe()).raw_description
    events = (await handle.fetch_history()).events
    # Activities (a case opened before v4) or local activities' markers (since v4).
    completed = [
        e
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        or (
            e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
        )
    ]
    return (
        status.stage is Stage.GATEWAY_ASSESSMENT
        and len(completed) >= 2  # the due dates, then the opening event published
        and not described.pending_activities
        and not described.HasField("pending_workflow_task")
    )
