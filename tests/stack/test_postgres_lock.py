"""`stack up` recovers PostgreSQL's lock file left by a killed server, and only then."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from safeguard.settings import StackPorts
from safeguard.stack import Stack, postgres
from safeguard.stack.postgres import Postgres
from tests.helpers import free_port


@pytest.fixture
async def stopped(tmp_path: Path) -> AsyncIterator[tuple[Stack, str]]:
    """A PostgreSQL data directory that has run once, with the lock file it had while running."""
    stack = Stack(
        data_dir=tmp_path / "stack",
        ports=StackPorts(postgres=free_port()),
        components=("postgres",),
    )
    await stack.up()
    lock = _lock(stack).read_text()
    await stack.down()
    try:
        yield stack, lock
    finally:
        await stack.down()


def _lock(stack: Stack) -> Path:
    server = stack.components[0]
    assert isinstance(server, Postgres)
    return server.pgdata / "postmaster.pid"


def _server_uid(stack: Stack) -> int:
    """The account PostgreSQL runs as: its `kill(pid, 0)` sees only that account's processes
    (EPERM on another's counts as no server), so the stale pid must be that account's."""
    server = stack.components[0]
    run_as = server.run_as()
    return os.getuid() if run_as is None else run_as.uid


def _fork_zombie(uid: int) -> int:
    """A child that has exited and is not reaped: `kill(pid, 0)` still succeeds on it."""
    pid = os.fork()
    if pid == 0:
        os.setuid(uid)
        os._exit(0)
    return pid


@pytest.fixture
def reused_pid(stopped: tuple[Stack, str]) -> Iterator[int]:
    """A live process that is not PostgreSQL: a pid reused after the server died."""
    uid = _server_uid(stopped[0])
    with subprocess.Popen(["sleep", "60"], user=uid) as other:  # noqa: S607 - a throwaway process
        yield other.pid
        other.kill()


async def test_a_lock_file_naming_a_zombie_is_removed(stopped: tuple[Stack, str]) -> None:
    zombie = _fork_zombie(_server_uid(stopped[0]))
    try:
        await _up_with_lock_of(stopped, zombie)
    finally:
        await asyncio.to_thread(os.waitpid, zombie, 0)


async def test_a_lock_file_naming_a_reused_pid_is_removed(
    stopped: tuple[Stack, str], reused_pid: int
) -> None:
    await _up_with_lock_of(stopped, reused_pid)


async def _up_with_lock_of(stopped: tuple[Stack, str], pid: int) -> None:
    stack, lock = stopped
    _lock(stack).write_text(str(pid) + lock[lock.index("\n") :])
    statuses = await stack.up()
    assert statuses[0].healthy
    assert "removed a stale postmaster.pid" in stack.components[0].log_path.read_text()


async def test_a_live_server_keeps_its_lock_file(
    stopped: tuple[Stack, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, _ = stopped
    await stack.up()
    server = stack.components[0]
    assert isinstance(server, Postgres)
    before = _lock(stack).read_text()
    monkeypatch.setattr(postgres, "ORPHAN_EXIT_WAIT", 0.3)
    server._remove_stale_lock_file()
    assert _lock(stack).read_text() == before
