"""Runs child processes, tags their output by name, restarts those that die, stops them all."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from safeguard.cli.restarts import RestartPolicy, Restarts
from safeguard.stack import process as processes


@dataclass(frozen=True)
class Child:
    """A process `safeguard run` starts."""

    name: str
    argv: list[str]


def say(message: str) -> None:
    """The supervisor's own lines, on stderr so they stand out from the children's output."""
    sys.stderr.write(f"safeguard run: {message}\n")
    sys.stderr.flush()


class Supervisor:
    """Starts children, relays their output as `[name] line`, restarts a child that exits
    (with backoff, up to its policy's limit), and stops them all on request.

    `gave_up` is set when a child kept dying past the limit; `failed` then says which and why.
    """

    def __init__(
        self,
        children: list[Child],
        *,
        env: dict[str, str],
        policy: RestartPolicy | None = None,
        pid_dir: Path | None = None,
        report: Callable[[str], None] = say,
    ) -> None:
        self._children = children
        self._env = env
        self._policy = policy or RestartPolicy()
        self._pid_dir = pid_dir
        self._report = report
        self._width = max(len(child.name) for child in children)
        self._processes: dict[str, asyncio.subprocess.Process] = {}
        self._keepers: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self.gave_up = asyncio.Event()
        self.failed: str | None = None

    def pid(self, name: str) -> int | None:
        """The pid of the child's current process (None before it starts)."""
        process = self._processes.get(name)
        return None if process is None else process.pid

    async def start(self) -> None:
        """Start every child and keep it running."""
        for child in self._children:
            process = await self._spawn(child)
            self._keepers.append(asyncio.create_task(self._keep(child, process)))

    async def _spawn(self, child: Child) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *child.argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=self._env,
            # Own process group: Ctrl-C reaches only us, and we stop children in order.
            start_new_session=True,
        )
        self._processes[child.name] = process
        if self._pid_dir is not None:
            processes.write_pid(self._pid_dir / f"{child.name}.pid", process.pid)
        if self._stopping.is_set():
            # stop() began while this one was starting: it must not outlive the others.
            _signal_group(process, signal.SIGTERM)
        return process

    async def _keep(self, child: Child, process: asyncio.subprocess.Process) -> None:
        restarts = Restarts(self._policy)
        while True:
            await self._pump(child.name.ljust(self._width), process)
            how = processes.describe_exit(await process.wait())
            if self._stopping.is_set():
                return
            delay = restarts.next_delay()
            if delay is None:
                self._give_up(f"{child.name} {how}; not restarting: {restarts.giving_up()}")
                return
            self._report(f"{child.name} {how}; restarting it in {delay:.0f}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            if self._stopping.is_set():
                return
            process = await self._spawn(child)
            self._report(f"{child.name} restarted as pid {process.pid}")

    async def _pump(self, tag: str, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None  # noqa: S101 - set by PIPE above
        async for line in process.stdout:
            sys.stdout.write(f"[{tag}] {line.decode(errors='replace')}")
            sys.stdout.flush()

    def _give_up(self, why: str) -> None:
        if self.failed is None:
            self.failed = why
        self.gave_up.set()

    async def stop(self, *, grace: float = 15.0) -> None:
        """SIGTERM every child, then SIGKILL whatever is left after `grace` seconds."""
        self._stopping.set()
        for process in self._processes.values():
            _signal_group(process, signal.SIGTERM)
        if self._keepers:
            _, pending = await asyncio.wait(self._keepers, timeout=grace)
            if pending:
                for process in self._processes.values():
                    _signal_group(process, signal.SIGKILL)
                await asyncio.wait(pending)
        if self._pid_dir is not None:
            for name in self._processes:
                processes.remove_pid(self._pid_dir / f"{name}.pid")


def _signal_group(process: asyncio.subprocess.Process, signum: signal.Signals) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)
