"""Temporal's server as deployed: built from deploy/temporal/server, with the Helm values' TLS
and authorization settings and deploy/temporal/clients.yaml, on loopback with SQLite in memory.

The development server (`temporal server start-dev`) has no TLS or authorizer options, so the
mutual TLS tests run the real server binary the deployment ships instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from temporalio.client import Client
from temporalio.service import RPCError, TLSConfig

from tests.certificates import Authority
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[1]
SERVER_SOURCE = ROOT / "deploy" / "temporal" / "server"
CLIENTS_FILE = ROOT / "deploy" / "temporal" / "clients.yaml"
VALUES = ROOT / "deploy" / "temporal" / "values.yaml"
# Where the chart mounts the certificates; the test recreates that tree under its own directory.
MOUNTS = "/etc/temporal/"


# As the Dockerfile builds it; the same settings for tests and build share Go's build cache.
GO_ENV = {"CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly"}


def go(*args: str) -> None:
    """Run the Go toolchain on deploy/temporal/server."""
    subprocess.run(  # noqa: S603 - the Go toolchain on our own module
        ["go", *args],  # noqa: S607 - the go on PATH
        cwd=SERVER_SOURCE,
        check=True,
        env=os.environ | GO_ENV,
    )


def build_server(out: Path) -> Path:
    """`go build` of deploy/temporal/server (Go's build cache makes repeats quick)."""
    go("build", "-o", str(out), ".")
    return out


def _rooted(value: Any, root: Path) -> Any:
    """The chart's mount paths moved under `root`."""
    if isinstance(value, str) and value.startswith(MOUNTS):
        return str(root / value.removeprefix("/"))
    if isinstance(value, dict):
        return {key: _rooted(item, root) for key, item in value.items()}
    if isinstance(value, list):
        return [_rooted(item, root) for item in value]
    return value


def _service(grpc: int, membership: int) -> dict[str, Any]:
    return {"rpc": {"grpcPort": grpc, "membershipPort": membership, "bindOnLocalHost": True}}


def _sqlite() -> dict[str, Any]:
    return {
        "sql": {
            "pluginName": "sqlite",
            "databaseName": "default",
            "connectAddr": "localhost",
            "connectProtocol": "tcp",
            "connectAttributes": {"mode": "memory", "cache": "private"},
            "maxConns": 1,
            "maxIdleConns": 1,
            "maxConnLifetime": "1h",
        }
    }


def server_config(root: Path, frontend: int) -> dict[str, Any]:
    """The deployment's `tls` and `authorization`, the rest a one-process server on loopback."""
    deployed = yaml.safe_load(VALUES.read_text())["server"]["config"]
    services = {
        "frontend": _service(frontend, free_port()),
        **{name: _service(free_port(), free_port()) for name in ("history", "matching", "worker")},
    }
    return {
        "log": {"stdout": True, "level": "warn"},
        "persistence": {
            "defaultStore": "default",
            "visibilityStore": "visibility",
            "numHistoryShards": 1,
            "datastores": {"default": _sqlite(), "visibility": _sqlite()},
        },
        "global": {
            "membership": {"maxJoinDuration": "30s", "broadcastAddress": "127.0.0.1"},
            "tls": _rooted(deployed["tls"], root),
            "authorization": deployed["authorization"],
        },
        "services": services,
        "clusterMetadata": {
            "enableGlobalNamespace": False,
            "failoverVersionIncrement": 10,
            "masterClusterName": "active",
            "currentClusterName": "active",
            "clusterInformation": {
                "active": {
                    "enabled": True,
                    "initialFailoverVersion": 1,
                    "rpcName": "frontend",
                    "rpcAddress": f"127.0.0.1:{frontend}",
                }
            },
        },
        "dcRedirectionPolicy": {"policy": "noop"},
        "archival": {"history": {"state": "disabled"}, "visibility": {"state": "disabled"}},
        "namespaceDefaults": {
            "archival": {"history": {"state": "disabled"}, "visibility": {"state": "disabled"}}
        },
        # Temporal's system worker reaches the frontend here, with the internode certificate.
        "publicClient": {"hostPort": f"127.0.0.1:{frontend}"},
    }


@dataclass(frozen=True)
class Pki:
    """The Temporal CA and the one it replaces, both in the bundle."""

    ca: Authority
    previous: Authority

    @property
    def bundle(self) -> bytes:
        """What trust-manager's bundle holds while one CA replaces the other."""
        return self.ca.cert + self.previous.cert

    def client_tls(self, authority: Authority, name: str) -> TLSConfig:
        """A client presenting `CN=<name>` from `authority`, trusting the bundle."""
        leaf = authority.client(name)
        return TLSConfig(
            server_root_ca_cert=self.bundle,
            client_cert=leaf.cert,
            client_private_key=leaf.key,
            domain="temporal-frontend",
        )


def _write_server_files(root: Path) -> Pki:
    """The certificates where the chart mounts them, under `root`."""
    pki = Pki(ca=Authority("safeguard-temporal-ca"), previous=Authority("old-ca"))
    tls = root / "etc" / "temporal" / "tls"
    # Server and client between Temporal's own services, as deploy/temporal/certificates.yaml.
    pki.ca.server("temporal-internode", client_too=True).write(tls / "internode", "tls")
    pki.ca.server("temporal-frontend").write(tls / "frontend", "tls")
    (tls / "ca").mkdir(parents=True, exist_ok=True)
    (tls / "ca" / "ca.crt").write_bytes(pki.bundle)
    return pki


@dataclass(frozen=True)
class RunningServer:
    """A server listening with mutual TLS on `address`, its PKI and log."""

    address: str
    pki: Pki
    log: Path


async def _serving(address: str, tls: TLSConfig) -> bool:
    try:
        client = await asyncio.wait_for(Client.connect(address, tls=tls), timeout=5)
        return await client.service_client.check_health(timeout=timedelta(seconds=5))
    except (RPCError, RuntimeError, OSError, TimeoutError):
        return False


@contextlib.asynccontextmanager
async def running_server(binary: Path, home: Path) -> AsyncIterator[RunningServer]:
    """The built server with the deployed settings, until the block ends."""
    pki = _write_server_files(home)
    frontend = free_port()
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "test.yaml").write_text(yaml.safe_dump(server_config(home, frontend)))
    log = home / "server.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            str(binary),
            "--root",
            str(home),
            "--config",
            "config",
            "--env",
            "test",
            "start",
            stdout=output,
            stderr=subprocess.STDOUT,
            env=os.environ | {"TEMPORAL_CLIENTS_FILE": str(CLIENTS_FILE)},
        )
    server = RunningServer(address=f"127.0.0.1:{frontend}", pki=pki, log=log)
    try:
        admin = pki.client_tls(pki.ca, "temporal-admin")
        for _ in range(120):
            if process.returncode is not None:
                raise RuntimeError(f"the server stopped: {log.read_text()[-4000:]}")
            if await _serving(server.address, admin):
                break
            await asyncio.sleep(0.5)
        else:
            raise RuntimeError(f"the server did not start: {log.read_text()[-4000:]}")
        yield server
    finally:
        process.terminate()
        await process.wait()
