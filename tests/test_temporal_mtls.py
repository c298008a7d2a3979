"""Who may talk to Temporal: the server as deployed refuses anyone without a certificate of the
Temporal CA, and allows each certificate only what deploy/temporal/clients.yaml lists for it.

The server is deploy/temporal/server built with Go and run with the Helm values' `tls` and
`authorization` settings (tests/temporal_mtls_server.py); the first build compiles Temporal's
server, later ones come from Go's build cache.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from safeguard.settings import Settings
from safeguard.temporal import connect_temporal
from safeguard.temporal_tls import TemporalTlsSettings
from tests.certificates import Authority
from tests.temporal_mtls_server import RunningServer, build_server, go, running_server

# The first build compiles Temporal's server (minutes on a busy machine).
pytestmark = pytest.mark.timeout(3600)

NAMESPACE = "prevent"
T = TypeVar("T")


async def _once_the_namespace_is_known(call: Callable[[], Awaitable[T]]) -> T:
    # A namespace just registered reaches the frontend's cache within seconds.
    for _ in range(60):
        try:
            return await call()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            await asyncio.sleep(0.5)
    return await call()


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningServer]:
    home = tmp_path_factory.mktemp("temporal-mtls")
    binary = await asyncio.to_thread(build_server, home / "temporal-server")
    async with running_server(binary, home) as running:
        admin = await _connect(running, running.pki.ca, "temporal-admin")
        await admin.workflow_service.register_namespace(
            RegisterNamespaceRequest(
                namespace=NAMESPACE,
                workflow_execution_retention_period=Duration(seconds=86400),
            )
        )
        yield running


async def _connect(server: RunningServer, authority: Authority, name: str) -> Client:
    tls = server.pki.client_tls(authority, name)
    return await Client.connect(server.address, namespace=NAMESPACE, tls=tls)


def _settings(server: RunningServer, directory: Path, name: str) -> Settings:
    """A process's settings as the deployment gives them: its certificate files and the CA."""
    cert, key = server.pki.ca.client(name).write(directory, name)
    bundle = directory / "ca.crt"
    bundle.write_bytes(server.pki.bundle)
    return Settings(
        environment="test",
        temporal_address=server.address,
        temporal_namespace=NAMESPACE,
        temporal_tls=TemporalTlsSettings(
            client_cert=cert, client_key=key, server_ca=bundle, server_name="temporal-frontend"
        ),
    )


async def _start_case(client: Client) -> WorkflowHandle[object, object]:
    async def start() -> WorkflowHandle[object, object]:
        return await client.start_workflow(
            "ReferralWorkflow", id=f"mtls-{uuid.uuid4()}", task_queue="mtls-test"
        )

    return await _once_the_namespace_is_known(start)


async def test_a_process_connects_with_the_certificate_its_settings_name(
    server: RunningServer, tmp_path: Path
) -> None:
    client = await connect_temporal(_settings(server, tmp_path, "safeguard-worker"))
    handle = await _start_case(client)
    assert (await handle.describe()).id == handle.id


async def test_without_a_certificate_of_the_temporal_ca_nobody_gets_in(
    server: RunningServer,
) -> None:
    no_certificate = TLSConfig(server_root_ca_cert=server.pki.bundle, domain="temporal-frontend")
    stranger = server.pki.client_tls(Authority("someone-elses-ca"), "safeguard-worker")
    for tls in (no_certificate, stranger, False):
        with pytest.raises(RuntimeError, match="connect"):
            await Client.connect(server.address, namespace=NAMESPACE, tls=tls)


async def test_the_frontend_is_verified_by_its_name(server: RunningServer) -> None:
    impostor = server.pki.client_tls(server.pki.ca, "safeguard-worker")
    impostor = TLSConfig(
        server_root_ca_cert=impostor.server_root_ca_cert,
        client_cert=impostor.client_cert,
        client_private_key=impostor.client_private_key,
        domain="temporal-internode",
    )
    with pytest.raises(RuntimeError, match="connect"):
        await Client.connect(server.address, namespace=NAMESPACE, tls=impostor)


async def test_a_certificate_of_the_ca_being_replaced_still_works(server: RunningServer) -> None:
    client = await _connect(server, server.pki.previous, "safeguard-intake")
    await _start_case(client)


async def _refused(call: Awaitable[object]) -> None:
    with pytest.raises(RPCError) as refused:
        await call
    assert refused.value.status == RPCStatusCode.PERMISSION_DENIED


async def test_only_listed_certificates_may_update_a_case(server: RunningServer) -> None:
    case = await _start_case(await _connect(server, server.pki.ca, "safeguard-worker"))
    for name in ("temporal-ui", "someone-unlisted"):
        other = await _connect(server, server.pki.ca, name)
        handle = other.get_workflow_handle(case.id)
        # Refused at once; were it let through it would wait for a worker, so not for long.
        update = handle.execute_update(
            "decide", {"actor": "chair-01"}, rpc_timeout=timedelta(seconds=10)
        )
        await _refused(update)
        await _refused(handle.signal("anything"))
        await _refused(_start_case(other))


async def test_the_web_ui_reads_and_nothing_else(server: RunningServer) -> None:
    case = await _start_case(await _connect(server, server.pki.ca, "safeguard-panel"))
    ui = await _connect(server, server.pki.ca, "temporal-ui")
    assert (await ui.get_workflow_handle(case.id).describe()).id == case.id
    await _refused(ui.get_workflow_handle(case.id).terminate("from the UI"))


async def test_unlisted_certificates_read_nothing_and_clients_administer_nothing(
    server: RunningServer,
) -> None:
    unlisted = await _connect(server, server.pki.ca, "someone-unlisted")
    await _refused(
        unlisted.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=NAMESPACE))
    )
    worker = await _connect(server, server.pki.ca, "safeguard-worker")
    await _refused(
        worker.workflow_service.register_namespace(
            RegisterNamespaceRequest(
                namespace="elsewhere", workflow_execution_retention_period=Duration(seconds=86400)
            )
        )
    )


def test_the_claim_mappers_own_tests_pass() -> None:
    # The Go tests beside the claim mapper (also run by its Dockerfile).
    go("test", "./...")
