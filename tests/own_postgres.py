"""A PostgreSQL of a test's own, migrated, that the test may stop and start again.

The session's database serves every other test, so outages are made on this one instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from safeguard.db.migrate import migrate
from safeguard.settings import StackPorts
from safeguard.stack import Stack
from tests.helpers import free_port


@dataclass
class OwnPostgres:
    """The server, its migrated database's DSN, and a way to restart it."""

    stack: Stack

    @property
    def dsn(self) -> str:
        """The project's database on this server."""
        return self.stack.postgres_dsn()

    @property
    def address(self) -> str:
        """host:port, for a proxy in front of it."""
        return f"127.0.0.1:{self.stack.ports.postgres}"

    async def stop(self) -> None:
        """A fast shutdown: sessions are ended and clients told so, as on a restart."""
        await self.stack.down()

    async def start(self) -> None:
        """Back on the same port with the same data."""
        await self.stack.up()


@asynccontextmanager
async def own_postgres(data_dir: Path) -> AsyncIterator[OwnPostgres]:
    """A migrated PostgreSQL on free ports under `data_dir`, stopped at the end."""
    ports = StackPorts(postgres=free_port(), kafka=free_port(), kafka_controller=free_port())
    server = OwnPostgres(Stack(data_dir=data_dir, ports=ports, components=("postgres",)))
    await server.start()
    try:
        await migrate(server.dsn)
        yield server
    finally:
        await server.stop()
