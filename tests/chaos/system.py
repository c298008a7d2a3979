"""The whole system under `safeguard run`, as an operator starts it, on ports of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from safeguard.cli.run import SERVICES
from safeguard.settings import StackPorts
from safeguard.stack import Stack
from safeguard.stack.process import is_alive, read_pid
from tests.helpers import free_port

COMPONENTS = ("postgres", "kafka", "temporal")
START_WITHIN = 300.0
# Every process the supervisor and its watchdog keep running, by the name of its pid file.
PROCESSES = (*SERVICES, "worker", *COMPONENTS)


@dataclass(frozen=True)
class System:
    """A running `safeguard run`: where its parts listen and where it keeps its pid files."""

    data_dir: Path
    ports: dict[str, int]
    log_path: Path

    @property
    def dsn(self) -> str:
        """The stack's database."""
        return f"postgresql://safeguard@127.0.0.1:{self.ports['postgres']}/safeguard"

    @property
    def temporal_address(self) -> str:
        """The stack's Temporal frontend."""
        return f"127.0.0.1:{self.ports['temporal']}"

    def url(self, service: str) -> str:
        """A service's base URL."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def pid(self, name: str) -> int | None:
        """The live pid of a service, the worker or a stack component, from its pid file."""
        pid = read_pid(self.data_dir / "run" / f"{name}.pid")
        return pid if pid is not None and is_alive(pid) else None

    def stack(self) -> Stack:
        """The embedded stack `safeguard run` started, to ask after its components' health."""
        ports = StackPorts(
            **{name: self.ports[name] for name in (*COMPONENTS, "kafka_controller", "temporal_ui")}
        )
        return Stack(data_dir=self.data_dir, ports=ports, components=COMPONENTS)

    async def all_back(self) -> bool:
        """Every process alive, every component healthy and every service ready."""
        if any(self.pid(name) is None for name in PROCESSES):
            return False
        if not all(status.healthy for status in await self.stack().status()):
            return False
        async with httpx.AsyncClient(timeout=3.0) as http:
            for service in SERVICES:
                try:
                    ready = await http.get(f"{self.url(service)}/health/ready")
                except httpx.TransportError:
                    return False
                if ready.status_code != 200:
                    return False
        return True


def _environment(data_dir: Path, ports: dict[str, int]) -> dict[str, str]:
    env = dict(os.environ)
    env["SAFEGUARD_DATA_DIR"] = str(data_dir)
    env["SAFEGUARD_ENVIRONMENT"] = "development"
    for name in (*COMPONENTS, "kafka_controller", "temporal_ui"):
        env[f"SAFEGUARD_STACK__{name.upper()}"] = str(ports[name])
    for service in SERVICES:
        env[f"SAFEGUARD_SERVICES__{service.upper()}"] = str(ports[service])
    env["SAFEGUARD_TELEMETRY__WORKER_METRICS_PORT"] = str(ports["worker_metrics"])
    env["SAFEGUARD_TELEMETRY__TEMPORAL_METRICS_PORT"] = str(ports["temporal_metrics"])
    env["SAFEGUARD_NOTIFICATIONS__SMTP_PORT"] = str(ports["smtp"])
    # `safeguard run` starts the virus scanner too: on a port of this run's own.
    env["SAFEGUARD_STACK__CLAMD"] = str(ports["clamd"])
    # Staff sign-in is not exercised: pointing the issuer elsewhere leaves Keycloak out of the
    # stack (services sign their own development service tokens without it).
    env["SAFEGUARD_STAFF_OIDC_ISSUER"] = f"http://127.0.0.1:{ports['no_idp']}/realms/safeguard"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _prepare(data_dir: Path) -> System:
    names = (*COMPONENTS, "kafka_controller", "temporal_ui", *SERVICES)
    ports = {name: free_port() for name in (*names, "worker_metrics", "temporal_metrics")}
    ports |= {"smtp": free_port(), "no_idp": free_port(), "clamd": free_port()}
    data_dir.mkdir(parents=True, exist_ok=True)
    return System(data_dir=data_dir, ports=ports, log_path=data_dir / "run.log")


@asynccontextmanager
async def running_system(data_dir: Path) -> AsyncIterator[System]:
    """Start `safeguard run` and wait until everything answers; Ctrl-C it at the end and
    check that it stopped cleanly, leaving no process behind."""
    system = _prepare(data_dir)
    safeguard = str(Path(sys.executable).parent / "safeguard")
    with system.log_path.open("ab") as log:
        run = await asyncio.create_subprocess_exec(
            safeguard,
            "run",
            env=_environment(data_dir, system.ports),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        await _wait_until_up(system, run)
        yield system
    finally:
        await _interrupt(system, run)


async def _wait_until_up(system: System, run: asyncio.subprocess.Process) -> None:
    deadline = asyncio.get_running_loop().time() + START_WITHIN
    while not await system.all_back():
        if run.returncode is not None:
            raise AssertionError(f"safeguard run exited early; see {system.log_path}")
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the system did not come up; see {system.log_path}")
        await asyncio.sleep(0.5)


async def _interrupt(system: System, run: asyncio.subprocess.Process) -> None:
    """Ctrl-C, as an operator would: everything stops, nothing is left running."""
    pids = [pid for name in PROCESSES if (pid := system.pid(name)) is not None]
    if run.returncode is None:
        run.send_signal(signal.SIGINT)
    try:
        code = await asyncio.wait_for(run.wait(), 120)
    except TimeoutError:
        os.killpg(run.pid, signal.SIGKILL)
        raise AssertionError(f"safeguard run ignored Ctrl-C; see {system.log_path}") from None
    assert code == 0, f"safeguard run exited {code}; see {system.log_path}"
    left = [pid for pid in pids if _alive(pid)]
    assert not left, f"processes left running after Ctrl-C: {left}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
