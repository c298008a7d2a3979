"""A stack component that dies under `safeguard run` is reaped and restarted by the watchdog."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from safeguard.cli.restarts import RestartPolicy
from safeguard.cli.watchdog import StackWatchdog
from safeguard.settings import StackPorts
from safeguard.stack import Stack
from safeguard.stack.process import read_pid
from tests.helpers import free_port

QUICK = RestartPolicy(first_delay=0.1, max_delay=0.5, limit=2, window=120.0)


@pytest.fixture
async def postgres(tmp_path: Path) -> AsyncIterator[Stack]:
    """A PostgreSQL of this test's own: the test kills it."""
    stack = Stack(
        data_dir=tmp_path / "stack",
        ports=StackPorts(postgres=free_port()),
        components=("postgres",),
    )
    await stack.up()
    try:
        yield stack
    finally:
        await stack.down()


def _postmaster(stack: Stack) -> int:
    pid = read_pid(stack.components[0].pid_path)
    assert pid is not None
    return pid


async def _wait_for(event: asyncio.Event, what: str, within: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), within)
    except TimeoutError:
        raise AssertionError(what) from None


async def test_a_killed_postgres_is_reaped_restarted_and_answers(postgres: Stack) -> None:
    said: list[str] = []
    back = asyncio.Event()

    def report(line: str) -> None:
        said.append(line)
        if line.endswith("restarted and healthy"):
            back.set()

    watchdog = StackWatchdog(postgres, report=report, policy=QUICK)
    watching = asyncio.create_task(watchdog.run())
    try:
        killed = _postmaster(postgres)
        os.kill(killed, signal.SIGKILL)
        await _wait_for(back, f"postgres not back; said {said}", 60)
        assert said[0] == "postgres was killed by signal SIGKILL; restarting it in 0s"
        # Reaped: no zombie of the killed server is left for PostgreSQL to trip over.
        assert not psutil.pid_exists(killed)
        assert _postmaster(postgres) != killed
        conn = await asyncpg.connect(postgres.postgres_dsn())
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
    finally:
        watching.cancel()


async def test_a_component_that_keeps_dying_makes_the_watchdog_give_up(postgres: Stack) -> None:
    said: list[str] = []
    healthy: asyncio.Queue[str] = asyncio.Queue()

    def report(line: str) -> None:
        said.append(line)
        if line.endswith("healthy"):
            healthy.put_nowait(line)

    watchdog = StackWatchdog(postgres, report=report, policy=QUICK)
    watching = asyncio.create_task(watchdog.run())
    try:
        for _ in range(QUICK.limit):
            os.kill(_postmaster(postgres), signal.SIGKILL)
            await asyncio.wait_for(healthy.get(), 60)
        os.kill(_postmaster(postgres), signal.SIGKILL)
        await _wait_for(watchdog.gave_up, f"the watchdog did not give up; said {said}", 30)
        assert watchdog.failed == (
            "postgres was killed by signal SIGKILL; not restarting: it exited 3 times within 120s"
        )
    finally:
        watching.cancel()
