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

from google.protobuf.duration_pb2 import Duration
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from safeguard.settings import Settings
from safeguard.stack.temporal import temporal_binary
from safeguard.temporal import SEARCH_ATTRIBUTES, data_converter_for

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
