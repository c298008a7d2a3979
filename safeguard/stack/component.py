"""What every component of the local stack provides, and the status it reports."""

from __future__ import annotations

import asyncio
import signal
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from safeguard.settings import Settings, StackPorts
from safeguard.stack.process import RunAs

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ComponentStatus:
    """One component as `status` sees it."""

    name: str
    pid: int | None
    running: bool
    healthy: bool
    endpoint: str
    log_path: Path
    detail: str = ""


class Component(ABC):
    """A server process of the stack: how to prepare, start, probe and stop it."""

    name: str
    # The signal that asks the server for a clean, fast shutdown.
    stop_signal: signal.Signals = signal.SIGTERM

    def __init__(self, *, data_dir: Path, ports: StackPorts, settings: Settings) -> None:
        self.data_dir = data_dir
        self.ports = ports
        # For what a component needs beyond its ports (Keycloak: the web client it registers).
        self.settings = settings

    @property
    def home(self) -> Path:
        """The component's own directory under the data dir."""
        return self.data_dir / self.name

    @property
    def log_path(self) -> Path:
        """Where the process's stdout and stderr go."""
        return self.data_dir / "logs" / f"{self.name}.log"

    @property
    def pid_path(self) -> Path:
        """Where the pid of the running process is recorded."""
        return self.data_dir / "run" / f"{self.name}.pid"

    @property
    @abstractmethod
    def endpoint(self) -> str:
        """host:port clients connect to."""

    @property
    def detail(self) -> str:
        """Extra information for people (a web UI address, say)."""
        return ""

    @property
    @abstractmethod
    def marker(self) -> str:
        """A string only our own process has in its command line (tells it from a reused pid)."""

    @abstractmethod
    def ports_needed(self) -> Mapping[int, str]:
        """Every port the process will listen on, with a name for error messages."""

    @abstractmethod
    async def prepare(self) -> None:
        """Check prerequisites and initialise the data once (idempotent; may be slow)."""

    @abstractmethod
    def argv(self) -> Sequence[str]:
        """The command that runs the server in the foreground."""

    def run_as(self) -> RunAs | None:
        """The account to run as, if not our own."""
        return None

    def environment(self) -> Mapping[str, str] | None:
        """The process's whole environment, if not a copy of ours."""
        return None

    @abstractmethod
    async def probe(self) -> bool:
        """One quick health check: does the server answer as a client needs it to?"""

    async def starting_probe(self) -> bool:
        """The check used while waiting for a fresh process (defaults to `probe`)."""
        return await self.probe()

    async def after_start(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Run once the fresh process answers (create a database, say)."""


async def port_open(port: int) -> bool:
    """Whether something accepts TCP connections on the loopback `port` (within a second)."""
    try:
        async with asyncio.timeout(1.0):
            _, writer = await asyncio.open_connection(HOST, port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True
